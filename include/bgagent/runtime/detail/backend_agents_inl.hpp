// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/backend_agents_inl.hpp: the bodies of backend_agents.hpp's functions
// (inline in header-only mode, built once in src/bgagent.cpp in compiled mode;
// core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/backend_agents.hpp>
// What the bodies use besides their header:
#include <algorithm>
#include <iterator>
#include <utility>

namespace bgagent::detail {

BGAGENT_INLINE void BackendAgents::track(Tracked agent) {
  {
    std::lock_guard lock(mutex_);
    if (!closed_) {
      // Tasks drop their agents without telling the runtime: forget the gone ones as the
      // record grows, so a long-lived runtime keeps only those that may still run.
      if (agents_.size() >= pruneAt_) {
        std::erase_if(agents_, [](const Tracked& known) { return known.owner.expired(); });
        pruneAt_ = std::max<std::size_t>(kFirstPrune, 2 * agents_.size());
      }
      agents_.push_back(std::move(agent));
      return;
    }
  }
  if (const auto alive = agent.owner.lock()) agent.stop(EndReason::HostShutdown);
}

BGAGENT_INLINE void BackendAgents::stopAll(EndReason reason) {
  std::vector<Tracked> agents;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    agents = agents_;
  }
  for (const Tracked& agent : agents) {
    if (const auto alive = agent.owner.lock(); alive && !agent.ended()) agent.stop(reason);
  }
}

BGAGENT_INLINE bool BackendAgents::allEnded() {
  std::vector<Tracked> agents;
  {
    std::lock_guard lock(mutex_);
    agents.swap(agents_);
  }
  std::erase_if(agents, [](const Tracked& agent) {
    const auto alive = agent.owner.lock();
    return !alive || agent.ended();
  });
  std::lock_guard lock(mutex_);
  const bool ended = agents.empty() && agents_.empty();
  agents_.insert(agents_.end(), std::make_move_iterator(agents.begin()),
                 std::make_move_iterator(agents.end()));
  return ended;
}

}  // namespace bgagent::detail
