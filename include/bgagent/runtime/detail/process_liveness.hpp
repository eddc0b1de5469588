// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/process_liveness.hpp: knowing when a writer process exits. A pidfd
// (Linux 5.3) becomes readable when the process exits, so the runtime's epoll learns it at once;
// without pidfd support, kill(pid, 0) is asked at the poll interval.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bgagent/core/detail/unique_fd.hpp>
#include <cerrno>
#include <cstdint>

namespace bgagent::detail {

/// A pidfd for `pid`, or an empty UniqueFd when the kernel has none (then use isAlive()).
/// `exited` is set when the process is already gone.
inline UniqueFd openPidFd(std::int64_t pid, bool& exited) {
  exited = false;
#ifdef SYS_pidfd_open
  const long fd = ::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0);
  if (fd >= 0) {
    // pidfd_open sets O_CLOEXEC on the descriptor it returns.
    return UniqueFd(static_cast<int>(fd));
  }
  if (errno == ESRCH) exited = true;
#endif
  return UniqueFd();
}

/// Whether a process with this id exists (a zombie counts as existing).
inline bool isAlive(std::int64_t pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace bgagent::detail
