// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/task_events_inl.hpp: the bodies of task_events.hpp's functions (inline
// in header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/task_events.hpp>

namespace bgagent::detail {

BGAGENT_INLINE void TaskEvents::stopListening(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  std::erase_if(listeners_, [id](const auto& entry) { return entry.first == id; });
  listening_.store(!listeners_.empty(), std::memory_order_release);
}

BGAGENT_INLINE void TaskEvents::reportAndKeep(std::string_view kind, nlohmann::json fields) {
  try {
    std::lock_guard lock(mutex_);
    keepAndTell(KeptEvent{std::string(kind), std::move(fields), false});
  } catch (...) {
    // Only allocation can fail here; the task itself must not fail for its log.
  }
}

}  // namespace bgagent::detail
