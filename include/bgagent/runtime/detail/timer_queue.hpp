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
  std::uint64_t schedule(SteadyClock::time_point when, Callback callback);

  /// Removes a timer. True when it was still waiting: its callback will never run.
  bool cancel(std::uint64_t id);

  /// Refuses new timers and hands every waiting one over without running it (the runtime is
  /// shutting down). The caller destroys them where it likes: what a callback owns (a retry
  /// waiting out its backoff) settles its task Cancelled when destroyed.
  std::vector<Callback> close();

  void onReady(std::uint64_t /*key*/) override {}

  void onTurn(SteadyClock::time_point now) override;

  std::optional<SteadyClock::time_point> nextTimer() override;

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

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/timer_queue_inl.hpp>
#endif
