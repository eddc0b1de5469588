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

}  // namespace bgagent::detail
