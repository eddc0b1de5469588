// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/host_exit_guard.hpp: agents die with their host, even when the host is
// SIGKILLed or calls _exit and no code of it runs any more. A small process forked from the
// host, the keeper, holds the agents' process groups and one end of a socket whose other end
// only the host holds: when that end closes with groups still held (the host is gone), the
// keeper sends each group SIGKILL and exits. A runtime that ends normally has stopped its
// agents itself and ends the keeper; the keeper then kills nothing.
// Thread safety: every member from any thread.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <sys/types.h>

#include <bgagent/core/detail/unique_fd.hpp>
#include <bgagent/core/result.hpp>
#include <mutex>
#include <unordered_set>

namespace bgagent::detail {

class HostExitGuard {
 public:
  /// The name the keeper gives itself (`ps`, /proc/PID/comm).
  static constexpr const char* kKeeperName = "bgagent-keeper";

  HostExitGuard() = default;
  HostExitGuard(const HostExitGuard&) = delete;
  HostExitGuard& operator=(const HostExitGuard&) = delete;
  ~HostExitGuard() { end(); }

  /// Hands the keeper an agent's process group; the first call starts the keeper, and one that
  /// finds it gone (killed from outside) starts another with every group held. An Io error
  /// when no keeper can be started: the group is then not held.
  Result<void> protect(pid_t group);

  /// The group is killed and about to be reaped (its id may be reused after): the keeper lets
  /// go of it.
  void release(pid_t group) noexcept;

  /// Ends the keeper without a kill and reaps it (the runtime's last turn, after its agents).
  /// In a forked child, which does not own the keeper, only closes this copy's socket.
  void end() noexcept;

  /// The keeper's pid; -1 while there is none.
  pid_t keeperPid() const;

 private:
  Result<void> startKeeper();  // with mutex_ held

  bool send(int record) noexcept;  // with mutex_ held

  void endKeeper() noexcept;  // with mutex_ held

  mutable std::mutex mutex_;
  UniqueFd socket_;                   // guarded by mutex_
  pid_t keeper_ = -1;                 // guarded by mutex_
  pid_t owner_ = -1;                  // the process that forked the keeper; guarded by mutex_
  std::unordered_set<pid_t> groups_;  // guarded by mutex_
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/host_exit_guard_inl.hpp>
#endif
