// bgagent/detail/backend_agents.hpp: the runtime's record of agents that none of its own parts
// follows (those of a host's backend): stopped with StopReason::HostShutdown at shutdown, which
// waits, bounded, until they have ended. The record holds them weakly: a task still owns its
// agent.
// Thread safety: track() from any thread; stopAll() and allEnded() on the runtime's thread.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <algorithm>
#include <bgagent/agent_backend.hpp>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace bgagent::detail {

class BackendAgents {
 public:
  /// Starts following `agent`. Once the runtime is shutting down, it is stopped at once (a
  /// launch that raced with the shutdown).
  void track(const std::shared_ptr<RunningAgent>& agent) {
    {
      std::lock_guard lock(mutex_);
      if (!closed_) {
        agents_.push_back(agent);
        return;
      }
    }
    agent->stop(StopReason::HostShutdown);
  }

  /// Stops every agent still running for `reason`; later ones are stopped as they come.
  void stopAll(StopReason reason) {
    std::vector<std::weak_ptr<RunningAgent>> agents;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      agents = agents_;
    }
    for (const auto& weak : agents) {
      if (auto agent = weak.lock(); agent && !agent->ended()) agent->stop(reason);
    }
  }

  /// Whether every agent followed has ended (or gone with its task); forgets those.
  bool allEnded() {
    std::lock_guard lock(mutex_);
    std::erase_if(agents_, [](const std::weak_ptr<RunningAgent>& weak) {
      const auto agent = weak.lock();
      return !agent || agent->ended();
    });
    return agents_.empty();
  }

 private:
  std::mutex mutex_;
  std::vector<std::weak_ptr<RunningAgent>> agents_;  // guarded by mutex_
  bool closed_ = false;                              // guarded by mutex_
};

}  // namespace bgagent::detail
