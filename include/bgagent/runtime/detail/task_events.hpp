// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/task_events.hpp: what happens to one task (started, progress, attempt,
// cancel requested, killed, settled), told to whoever listens: an EventLog. The task's state, its
// combinator and the process supervisor report here; with no listener a report costs an atomic
// load or two. Events a later listener must still hear of are kept: a retry's attempts, and
// what is reported after the last event (the kill of an agent that ran on after settling).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <atomic>
#include <bgagent/core/detail/config.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bgagent::detail {

class TaskEvents {
 public:
  /// `kind` ("started", "progress", ...) and its fields.
  using Listener = std::function<void(std::string_view kind, const nlohmann::json& fields)>;

  /// An event told again to a listener that comes later.
  struct KeptEvent {
    std::string kind;
    nlohmann::json fields;
    bool afterEnd = false;  // reported after the last event (a kill after settling)
  };

  /// Starts telling `listener`; the id ends it. `catchUp(kept)` runs first, under the lock the
  /// reports take: no report falls between the catch-up and the listening, none is told twice.
  /// The listener runs on the reporting thread, with this object's lock held (and sometimes the
  /// task's): it must be quick and must not call back into the task.
  template <typename CatchUp>
  std::uint64_t listen(Listener listener, CatchUp catchUp) {
    std::lock_guard lock(mutex_);
    catchUp(std::as_const(kept_));
    listeners_.emplace_back(++lastId_, std::move(listener));
    listening_.store(true, std::memory_order_release);
    return lastId_;
  }

  /// Once this returns, the listener is not running and never runs again.
  void stopListening(std::uint64_t id);

  bool listened() const noexcept { return listening_.load(std::memory_order_acquire); }

  /// Reports `kind` and keeps it, so a listener that comes later can catch up. For rare events
  /// only: a retry's attempts.
  void reportAndKeep(std::string_view kind, nlohmann::json fields);

  /// `fields` is built only when someone listens: reports sit on the watcher's hot path.
  template <typename MakeFields>
  void report(std::string_view kind, MakeFields makeFields) {
    if (!listened()) return;
    std::lock_guard lock(mutex_);
    tell(kind, makeFields);
  }

  /// As report(), for an event that may come after the last one (a kill of an agent that ran
  /// on after its task settled): one that does is kept, so a listener added to the settled
  /// task still hears of it.
  template <typename MakeFields>
  void reportPossiblyAfterEnd(std::string_view kind, MakeFields makeFields) {
    if (!listened() && !ended()) return;
    std::lock_guard lock(mutex_);
    if (!ended_.load(std::memory_order_relaxed)) {
      tell(kind, makeFields);
      return;
    }
    try {
      keepAndTell(KeptEvent{std::string(kind), makeFields(), true});
    } catch (...) {
      // Only allocation can fail here; the task itself must not fail for its log.
    }
  }

  /// Reports the task's last event (settled), then marks it ended: a report made after this
  /// (a kill of an agent that ran on) sees ended() true, one made before, false.
  template <typename MakeFields>
  void reportEnd(std::string_view kind, MakeFields makeFields) {
    std::lock_guard lock(mutex_);
    if (listened()) tell(kind, makeFields);
    ended_.store(true, std::memory_order_release);
  }

  /// Whether the last event has been reported. Read it in a report's fields, under its lock.
  bool ended() const noexcept { return ended_.load(std::memory_order_acquire); }

 private:
  // Fields built under the lock, so they and the order of reports agree.
  template <typename MakeFields>
  void tell(std::string_view kind, MakeFields& makeFields) noexcept {
    try {
      tellAll(kind, makeFields());
    } catch (...) {
      // Only allocation can fail here; the task itself must not fail for its log.
    }
  }

  // With the lock held.
  void keepAndTell(KeptEvent event) {
    kept_.push_back(std::move(event));
    tellAll(kept_.back().kind, kept_.back().fields);
  }

  void tellAll(std::string_view kind, const nlohmann::json& fields) noexcept {
    try {
      for (const auto& [id, listener] : listeners_) listener(kind, fields);
    } catch (...) {
      // As above: a listener's copy of the event could not be made.
    }
  }

  mutable std::mutex mutex_;
  std::atomic<bool> ended_{false};
  std::atomic<bool> listening_{false};
  std::vector<KeptEvent> kept_;                                // guarded by mutex_
  std::uint64_t lastId_ = 0;                                   // guarded by mutex_
  std::vector<std::pair<std::uint64_t, Listener>> listeners_;  // guarded by mutex_
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/task_events_inl.hpp>
#endif
