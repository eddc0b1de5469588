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

BGAGENT_INLINE UniqueFd openPidFd(std::int64_t pid, bool& exited) {
  exited = false;
  const int fd = runtimeSyscalls.pidFdOpen(static_cast<pid_t>(pid), 0);
  // pidfd_open sets O_CLOEXEC on the descriptor it returns.
  if (fd >= 0) return UniqueFd(fd);
  if (errno == ESRCH) exited = true;
  return UniqueFd();
}

BGAGENT_INLINE bool isAlive(std::int64_t pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

BGAGENT_INLINE std::optional<std::uint64_t> processStartTicks(std::int64_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  const std::string text{std::istreambuf_iterator<char>(stat), std::istreambuf_iterator<char>()};
  // The command name, second field, is in parentheses and may hold spaces and ')': the fields
  // that follow start after its last ')', with the state (field 3).
  const std::size_t nameEnd = text.rfind(')');
  if (nameEnd == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(nameEnd + 1));
  std::string field;
  for (int index = 3; index <= 22 && fields >> field; ++index) {
    std::uint64_t ticks = 0;
    if (index == 22 &&
        std::from_chars(field.data(), field.data() + field.size(), ticks).ec == std::errc()) {
      return ticks;
    }
  }
  return std::nullopt;
}

}  // namespace bgagent::detail
