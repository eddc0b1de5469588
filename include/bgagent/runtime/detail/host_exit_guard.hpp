// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/host_exit_guard.hpp: agents end with their host, even when the host is
// SIGKILLed or calls _exit and no code of it runs any more. A small process, the keeper, holds
// the agents' process groups and reads a socket whose other end only the host holds (a child the
// host forks without exec closes its copy at the fork): when that
// stream ends with groups still held (the host is gone), the keeper sends each of them SIGKILL
// and exits. The keeper is `awk` (POSIX; a process of its own, not a fork of the host, so it
// holds none of the host's memory), spawned at a runtime's first process agent, its signals
// blocked and in a process group of its own. A runtime that ends normally has stopped its
// agents itself and kills the keeper, which then kills nothing.
// Thread safety: every member from any thread.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <sys/types.h>

#include <bgagent/core/detail/unique_fd.hpp>
#include <bgagent/core/result.hpp>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bgagent::detail {

class HostExitGuard {
 public:
  /// An argument of the keeper's, which `ps -f` and /proc/PID/cmdline show.
  static constexpr std::string_view kKeeperMarker = "role=bgagent-keeper";

  HostExitGuard() = default;
  HostExitGuard(const HostExitGuard&) = delete;
  HostExitGuard& operator=(const HostExitGuard&) = delete;
  ~HostExitGuard() { stopKeeper(); }

  /// Hands the keeper an agent's process group, led by the process that started at `started`
  /// (clock ticks after boot; a leader with another start time is another process, spared).
  /// The first call starts the keeper; one that cannot tell it (killed or stuck, from outside)
  /// replaces it with one holding every group. An Io error when no keeper can be started: the
  /// group is then not held.
  Result<void> protect(pid_t group, std::uint64_t started);

  /// The group is killed and about to be reaped (its id may be given to another process after):
  /// the keeper lets go of it, or is replaced if it cannot be told.
  void release(pid_t group) noexcept;

  /// Kills the keeper, which kills nothing, and reaps it (the runtime's last turn, after its
  /// agents); from then on protect() holds nothing (the supervisor refuses every start by
  /// then). In a forked child, which does not own the keeper, only forgets it.
  void stopKeeper() noexcept;

  /// The keeper's pid; -1 while there is none.
  pid_t keeperPid() const;

 private:
  // How long a keeper whose socket is full may take to read before it is replaced.
  static constexpr int kKeeperPatienceMs = 2000;

  Result<void> startKeeper();  // with mutex_ held

  bool tellKeeper(const std::string& records) noexcept;  // with mutex_ held

  void endKeeper() noexcept;  // with mutex_ held

  mutable std::mutex mutex_;
  UniqueFd socket_;                                  // guarded by mutex_
  UniqueFd keeperPidFd_;                             // guarded by mutex_
  pid_t keeper_ = -1;                                // guarded by mutex_
  pid_t owner_ = -1;                                 // the process that spawned it; mutex_
  bool stopped_ = false;                             // guarded by mutex_
  std::unordered_map<pid_t, std::uint64_t> groups_;  // group -> its leader's start; mutex_
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/host_exit_guard_inl.hpp>
#endif
