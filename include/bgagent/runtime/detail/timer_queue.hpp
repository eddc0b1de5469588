// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/timer_queue.hpp: callbacks run at given times on the runtime's thread, for
// every deadline (withTimeLimit), backoff wait (retry) and future check (fromFuture), so no
// combinator needs a thread of its own to wait. A part of the runtime's loop: it owns no thread.
// Thread safety: schedule() and cancel() from any thread; the loop runs due callbacks outside
// the lock, one at a time, in due order.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/event_loop.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bgagent::detail {

class TimerQueue final : public LoopPart {
 public:
  using Callback = std::function<void()>;

  explicit TimerQueue(const EventLoop& loop) : loop_(loop) {}

  /// Runs `callback` on the runtime's thread at `when` (at the next turn if it has passed).
  /// Callbacks must not block: every other part of the runtime waits for them. (A retry's next
  /// attempt is launched from here, so a user's launch should not block either;
  /// docs/threading.md.) Returns 0 once the runtime has shut down: the callback is then
  /// destroyed on the calling thread, never run.
  std::uint64_t schedule(SteadyClock::time_point when, Callback callback) {
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

  /// Removes a timer. True when it was still waiting: its callback will never run.
  bool cancel(std::uint64_t id) {
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

  /// Refuses new timers and hands every waiting one over without running it (the runtime is
  /// shutting down). The caller destroys them where it likes: what a callback owns (a retry
  /// waiting out its backoff) settles its task Cancelled when destroyed.
  std::vector<Callback> close() {
    std::vector<Callback> dropped;
    std::lock_guard lock(mutex_);
    closed_ = true;
    dropped.reserve(timers_.size());
    for (auto& [key, callback] : timers_) dropped.push_back(std::move(callback));
    timers_.clear();
    dueTimes_.clear();
    return dropped;
  }

  void onReady(std::uint64_t /*key*/) override {}

  void onTurn(SteadyClock::time_point now) override {
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

  std::optional<SteadyClock::time_point> nextTimer() override {
    std::lock_guard lock(mutex_);
    if (timers_.empty()) return std::nullopt;
    return timers_.begin()->first.first;
  }

 private:
  using Key = std::pair<SteadyClock::time_point, std::uint64_t>;

  const EventLoop& loop_;
  mutable std::mutex mutex_;
  std::uint64_t lastId_ = 0;                                             // guarded by mutex_
  bool closed_ = false;                                                  // guarded by mutex_
  std::map<Key, Callback> timers_;                                       // guarded by mutex_
  std::unordered_map<std::uint64_t, SteadyClock::time_point> dueTimes_;  // guarded by mutex_
};

}  // namespace bgagent::detail
