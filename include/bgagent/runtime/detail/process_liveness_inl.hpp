// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/process_liveness_inl.hpp: the bodies of process_liveness.hpp's functions
// (inline in header-only mode, built once in src/bgagent.cpp in compiled mode;
// core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/process_liveness.hpp>
// What the bodies use besides their header:
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bgagent/runtime/detail/runtime_syscall.hpp>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace bgagent::detail {

BGAGENT_INLINE UniqueFd openPidFd(std::int64_t pid, bool& exited,
                                  std::optional<std::uint64_t> started) {
  exited = false;
  // pidfd_open sets O_CLOEXEC on the descriptor it returns.
  UniqueFd fd(runtimeSyscalls.pidFdOpen(static_cast<pid_t>(pid), 0));
  if (!fd && errno == ESRCH) exited = true;
  // Compared after the pidfd is open: when the time matches then, the pidfd is that process's
  // (a pid is given again only once its process is gone, and the later one starts later).
  if (started && !exited && processStartTicks(pid) != *started) exited = true;
  return fd;
}

BGAGENT_INLINE bool isAlive(std::int64_t pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

namespace liveness_detail {

// Field `wanted` (3 or later) of /proc/PID/stat, or empty.
inline std::string statField(std::int64_t pid, int wanted) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  const std::string text{std::istreambuf_iterator<char>(stat), std::istreambuf_iterator<char>()};
  // The command name, second field, is in parentheses and may hold spaces and ')': the fields
  // that follow start after its last ')', with the state (field 3).
  const std::size_t nameEnd = text.rfind(')');
  if (nameEnd == std::string::npos) return {};
  std::istringstream fields(text.substr(nameEnd + 1));
  std::string field;
  for (int index = 3; index <= wanted && fields >> field; ++index) {
    if (index == wanted) return field;
  }
  return {};
}

inline std::optional<std::uint64_t> number(const std::string& field) {
  std::uint64_t value = 0;
  if (field.empty() ||
      std::from_chars(field.data(), field.data() + field.size(), value).ec != std::errc()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace liveness_detail

BGAGENT_INLINE std::optional<std::uint64_t> processStartTicks(std::int64_t pid) {
  return liveness_detail::number(liveness_detail::statField(pid, 22));
}

BGAGENT_INLINE bool isZombie(std::int64_t pid) {
  return liveness_detail::statField(pid, 3) == "Z";
}

BGAGENT_INLINE std::optional<std::int64_t> processGroupOf(std::int64_t pid) {
  const std::optional<std::uint64_t> group =
      liveness_detail::number(liveness_detail::statField(pid, 5));
  if (!group) return std::nullopt;
  return static_cast<std::int64_t>(*group);
}

}  // namespace bgagent::detail
