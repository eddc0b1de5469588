// bgagent/detail/timer_queue.hpp: one thread that runs callbacks at given times, shared by every
// deadline (withTimeout) and backoff wait (retry) in the process, so no combinator needs a
// thread of its own to wait.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/wait_outcome.hpp>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <thread>
#include <unordered_map>
#include <utility>

namespace bgagent::detail {

class TimerQueue {
 public:
  using Callback = std::function<void()>;

  TimerQueue() : thread_([this](const std::stop_token& stop) { run(stop); }) {}
  ~TimerQueue() {
    thread_.request_stop();
    thread_.join();
  }
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;
  TimerQueue(TimerQueue&&) = delete;
  TimerQueue& operator=(TimerQueue&&) = delete;

  static TimerQueue& shared() {
    static TimerQueue queue;
    return queue;
  }

  /// Runs `callback` on the timer thread at `when` (at once if it has passed). Callbacks must
  /// not block: every other timer waits for them. (A retry's next attempt is launched from
  /// here, so a user's launch should not block either; docs/threading.md, rule 21.)
  std::uint64_t schedule(SteadyClock::time_point when, Callback callback) {
    std::uint64_t id = 0;
    {
      std::lock_guard lock(mutex_);
      id = ++lastId_;
      timers_.emplace(Key{when, id}, std::move(callback));
      dueTimes_.emplace(id, when);
      ++generation_;
    }
    changed_.notify_one();
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

 private:
  using Key = std::pair<SteadyClock::time_point, std::uint64_t>;

  void run(const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
      const std::uint64_t seen = generation_;
      if (timers_.empty()) {
        changed_.wait(lock, stop, [&] { return generation_ != seen; });
        continue;
      }
      const auto first = timers_.begin();
      // A copy: the wait unlocks, and cancel() may erase the node meanwhile.
      const SteadyClock::time_point due = first->first.first;
      if (SteadyClock::now() < due) {
        changed_.wait_until(lock, stop, due, [&] { return generation_ != seen; });
        continue;
      }
      Callback callback = std::move(first->second);
      dueTimes_.erase(first->first.second);
      timers_.erase(first);
      lock.unlock();
      try {
        callback();
      } catch (...) {
        // A timer's owner reports its own failures; the other timers must still run.
      }
      callback = nullptr;  // what it owns goes outside the lock
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::uint64_t lastId_ = 0;                                             // guarded by mutex_
  std::uint64_t generation_ = 0;                                         // guarded by mutex_
  std::map<Key, Callback> timers_;                                       // guarded by mutex_
  std::unordered_map<std::uint64_t, SteadyClock::time_point> dueTimes_;  // guarded by mutex_
  std::jthread thread_;  // last: started after every member above exists
};

}  // namespace bgagent::detail
