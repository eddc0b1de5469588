// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/backend_agents.hpp: the runtime's record of agents that none of its own
// parts follows (those of a host's backend): stopped with StopReason::HostShutdown at shutdown,
// which waits, bounded, until they have ended. The record holds them weakly (a task owns its agent)
// and knows them only as a way to stop them and a way to ask whether they ended, so the
// runtime needs nothing of the backend interface.
// Thread safety: track() from any thread; stopAll() and allEnded() on the runtime's thread.
// Host code (stop, ended, an agent's destructor) never runs under this record's lock.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/agent_control.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace bgagent::detail {

class BackendAgents {
 public:
  /// One agent as the runtime knows it. `stop` and `ended` may only be called while `owner`
  /// (the agent itself) is alive.
  struct Tracked {
    std::weak_ptr<void> owner;
    std::function<void(EndReason)> stop;  // records the reason, then stops the agent
    std::function<bool()> ended;
  };

  /// Starts following an agent. Once the runtime is shutting down, it is stopped at once (a
  /// launch that raced with the shutdown).
  void track(Tracked agent);

  /// Stops every agent still running for `reason`; later ones are stopped as they come.
  void stopAll(EndReason reason);

  /// Whether every agent followed has ended (or gone with its task); forgets those.
  bool allEnded();

 private:
  static constexpr std::size_t kFirstPrune = 64;

  std::mutex mutex_;
  std::vector<Tracked> agents_;        // guarded by mutex_
  std::size_t pruneAt_ = kFirstPrune;  // guarded by mutex_
  bool closed_ = false;                // guarded by mutex_
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/backend_agents_inl.hpp>
#endif
