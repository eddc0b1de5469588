// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/loop_syscall.hpp: the runtime loop's system calls that tests replace to
// inject faults (a registration the kernel refuses), as core/detail/syscall.hpp does for file
// I/O. Each part that registers a descriptor has a defined answer to a refusal: it polls instead.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <sys/epoll.h>

namespace bgagent::detail {

/// The seam: the loop's calls go through these pointers. Tests swap one entry at a time with
/// ScopedSyscall (tests/support), before the runtime they test exists and after it has gone.
struct LoopSyscallTable {
  int (*epollCtl)(int epoll, int operation, int fd, epoll_event* event);
};

inline LoopSyscallTable loopSyscalls{::epoll_ctl};

}  // namespace bgagent::detail
