// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/timer_queue_inl.hpp: the bodies of timer_queue.hpp's functions (inline
// in header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/timer_queue.hpp>

namespace bgagent::detail {

BGAGENT_INLINE std::uint64_t TimerQueue::schedule(SteadyClock::time_point when, Callback callback) {
  std::uint64_t id = 0;
  bool earliest = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return 0;
    id = ++lastId_;
    earliest = timers_.empty() || when < timers_.begin()->first.first;
    timers_.emplace(Key{when, id}, std::move(callback));
    dueTimes_.emplace(id, when);
  }
  // A later timer than the first changes nothing the loop's sleep depends on.
  if (earliest) loop_.wake();
  return id;
}

BGAGENT_INLINE bool TimerQueue::cancel(std::uint64_t id) {
  Callback dropped;  // destroyed outside the lock: it may own tasks
  std::lock_guard lock(mutex_);
  const auto due = dueTimes_.find(id);
  if (due == dueTimes_.end()) return false;
  const auto timer = timers_.find(Key{due->second, id});
  dropped = std::move(timer->second);
  timers_.erase(timer);
  dueTimes_.erase(due);
  return true;
}

BGAGENT_INLINE std::vector<TimerQueue::Callback> TimerQueue::close() {
  std::vector<Callback> dropped;
  std::lock_guard lock(mutex_);
  closed_ = true;
  dropped.reserve(timers_.size());
  for (auto& [key, callback] : timers_) dropped.push_back(std::move(callback));
  timers_.clear();
  dueTimes_.clear();
  return dropped;
}

BGAGENT_INLINE void TimerQueue::onTurn(SteadyClock::time_point now) {
  // One at a time, each taken under the lock: a callback may schedule or cancel others.
  while (true) {
    Callback callback;
    {
      std::lock_guard lock(mutex_);
      if (timers_.empty() || timers_.begin()->first.first > now) return;
      const auto first = timers_.begin();
      callback = std::move(first->second);
      dueTimes_.erase(first->first.second);
      timers_.erase(first);
    }
    try {
      callback();
    } catch (...) {
      // A timer's owner reports its own failures; the other timers must still run.
    }
  }
}

BGAGENT_INLINE std::optional<SteadyClock::time_point> TimerQueue::nextTimer() {
  std::lock_guard lock(mutex_);
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

}  // namespace bgagent::detail
