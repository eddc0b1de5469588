// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/runtime_syscall.hpp: the runtime's own system calls (its epoll set, a
// child's pipe and pidfd, the kill sequence's signals, the exit checks and the reaping), all
// through one table that tests replace to inject faults, as core/detail/syscall.hpp does for
// file I/O. Each fault has a defined answer: a registration or pidfd refused is polled instead,
// an interrupted call is made again, a pipe that cannot be made fails the launch with the
// system's reason, a SIGKILL refused (EPERM) ends the task saying the agent runs on, and ESRCH
// (nobody left to signal) is no refusal.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bgagent/core/detail/syscall.hpp>
#include <cerrno>

namespace bgagent::detail {

inline int systemPidFdOpen(pid_t pid, unsigned flags) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags));
#else
  (void)pid;
  (void)flags;
  errno = ENOSYS;
  return -1;
#endif
}

/// The seam: the runtime's calls go through these pointers. Tests swap one entry at a time
/// with ScopedSyscall (tests/support), before the runtime they test exists and after it has
/// gone.
struct RuntimeSyscallTable {
  int (*epollCtl)(int epoll, int operation, int fd, epoll_event* event);
  int (*pidFdOpen)(pid_t pid, unsigned flags);
  ssize_t (*read)(int fd, void* buffer, size_t count);
  pid_t (*waitpid)(pid_t pid, int* status, int options);
  int (*pipe2)(int fds[2], int flags);
  int (*kill)(pid_t pid, int signal);
  int (*waitid)(idtype_t type, id_t id, siginfo_t* info, int options);
};

inline RuntimeSyscallTable runtimeSyscalls{::epoll_ctl, systemPidFdOpen, ::read,  ::waitpid,
                                           ::pipe2,     ::kill,          ::waitid};

/// A child's pipe read, made again when a signal interrupted it.
inline ssize_t readPipe(int fd, void* buffer, size_t count) {
  return retryOnInterrupt([&] { return runtimeSyscalls.read(fd, buffer, count); });
}

/// waitpid, made again when a signal interrupted it (a blocking reap must not lose the status).
inline pid_t waitForChild(pid_t pid, int& status, int options) {
  return retryOnInterrupt([&] { return runtimeSyscalls.waitpid(pid, &status, options); });
}

}  // namespace bgagent::detail
