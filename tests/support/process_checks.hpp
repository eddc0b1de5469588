// SPDX-License-Identifier: MIT
// tests/support/process_checks.hpp: what tests that fork hosts and follow processes share:
// whether this build may fork a host (BGAGENT_TEST_FORK) and whether a process has ended.
#pragma once

#include <poll.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

// ThreadSanitizer refuses to start threads in a child forked from a multi-threaded process
// ("starting new threads after multi-threaded fork is not supported"), which the tests that
// fork a host do on purpose; they run in the dev and asan builds.
#if defined(__SANITIZE_THREAD__)
#define BGAGENT_TEST_FORK 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BGAGENT_TEST_FORK 0
#endif
#endif
#ifndef BGAGENT_TEST_FORK
#define BGAGENT_TEST_FORK 1
#endif

namespace bgagent::test {

/// Whether process `pid` ends within `timeout`: its pidfd (any process's, not only a child's)
/// becomes readable when it exits. A zombie has exited; PID 1 here may never reap one.
inline bool endsWithin(pid_t pid, std::chrono::milliseconds timeout) {
  const int pidFd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidFd < 0) return errno == ESRCH;
  pollfd exited{pidFd, POLLIN, 0};
  const int polled = ::poll(&exited, 1, static_cast<int>(timeout.count()));
  ::close(pidFd);
  return polled == 1;
}

}  // namespace bgagent::test
