// SPDX-License-Identifier: MIT
// bgagent/agents/detail/task_core.hpp: the part of a task's shared state that does not depend on
// its value type: who it is, the agent that runs it and the watch that follows its file, what its
// file has said, its status and times, its events, and what runs when it settles. Observers
// (TaskView, and through it dashboards and event logs) reach a task through this, and only
// through its member functions, which take its lock themselves. TaskState<T> adds the value.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <atomic>
#include <bgagent/core/child_progress.hpp>
#include <bgagent/core/cleanup_policy.hpp>
#include <bgagent/core/clock.hpp>
#include <bgagent/core/detail/fork_state.hpp>
#include <bgagent/core/status.hpp>
#include <bgagent/protocol/agent_state.hpp>
#include <bgagent/runtime/detail/agent_control.hpp>
#include <bgagent/runtime/watch_handle.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace bgagent {
class RunningAgent;  // agents/agent_backend.hpp: a task holds its agent, the task's owner calls it
}  // namespace bgagent

namespace bgagent::detail {

class RuntimeCore;  // detail/runtime_core.hpp: only who launches and watches needs the loop

/// Every task, combined ones included, gets its own id: an event log names tasks by it.
std::uint64_t nextTaskId() noexcept;

/// One consistent sample of a task, taken under its lock (TaskView::sample()).
struct TaskCoreSample {
  Status status = Status::Pending;
  SteadyClock::duration duration{};
  Progress progress;
  std::optional<SteadyClock::duration> silentFor;
};

struct TaskCore {
  std::uint64_t id = nextTaskId();
  pid_t ownerPid = currentPid().load(std::memory_order_relaxed);  // the process that made it
  std::string description;
  std::filesystem::path outputPath;
  CleanupPolicy cleanup = CleanupPolicy::Keep;
  SteadyClock::time_point startedAt = SteadyClock::now();
  std::shared_ptr<AgentControl> control = std::make_shared<AgentControl>();
  /// The runtime that runs the agent (null for combined tasks); kept alive by the task, and
  /// declared before the watch so the watch ends first.
  std::shared_ptr<RuntimeCore> runtime;
  std::function<void(EndReason)> stopAgent;              // set before the agent can settle
  std::function<std::vector<ChildProgress>()> children;  // combinators only; set before shared

  mutable std::mutex mutex;
  OutputSnapshot snapshot;                              // guarded by mutex
  Status status = Status::Pending;                      // guarded by mutex
  std::optional<Error> settledError;                    // set with settledAt; guarded by mutex
  std::optional<SteadyClock::time_point> settledAt;     // guarded by mutex
  std::optional<SteadyClock::time_point> lastOutputAt;  // agents only; guarded by mutex
  std::optional<SteadyClock::time_point> runningAt;     // agents only; guarded by mutex
  std::optional<SteadyClock::time_point> progressAt;    // guarded by mutex
  std::vector<std::function<void()>> continuations;     // guarded by mutex

  WatchHandle watch;
  std::atomic<bool> watchSettled{false};  // the watcher has called back: nothing to unwatch
  std::atomic<std::uint64_t> watchId{0};  // the watch's id once registered, for other threads
  std::shared_ptr<RunningAgent> agent;    // agents only; set before shared; last, so it ends first

  TaskCore() = default;
  TaskCore(const TaskCore&) = delete;
  TaskCore& operator=(const TaskCore&) = delete;
  TaskCore(TaskCore&&) = delete;
  TaskCore& operator=(TaskCore&&) = delete;
  // A settled watch is gone from the runtime already; unwatching it would only wake the
  // runtime's thread for nothing.
  ~TaskCore();

  void update(const OutputSnapshot& latest);

  /// Stops the agent for `reason` (the first reason wins), telling the event log once.
  void requestStop(EndReason reason);

  /// Reports `kind` with `fields` and keeps it for a subscriber added later (a retry's
  /// attempts: rare, so built even when nobody listens).
  void recordEvent(std::string_view kind, nlohmann::json fields);

  /// A combined task's own progress: `done` of `total` inputs settled (or stages passed).
  void reportProgress(std::string text, std::size_t done, std::size_t total);

  /// Settled by something other than its watch (a launch failure, a lost ending).
  bool settledWithoutWatch() const;

  /// Runs `continuation` once the task has settled: at once (on this thread) if it has, else on
  /// the thread that settles it. Combinators use this instead of a thread per input.
  void whenSettled(std::function<void()> continuation);

  /// What the task is now, read at once under its lock.
  TaskCoreSample sample() const;

  /// Tells `listener` every event of the task: those that happened already first (its
  /// "started" if it has started, the kept ones, its latest "progress", its "settled" and the
  /// kills after it), each as of when it happened, then each new one as it happens; none
  /// twice, none out of order (the catch-up and the task's own reports hold the same locks).
  /// The listener runs under the task's lock and must not call back into the task. Returns the
  /// listener's id.
  std::uint64_t subscribe(const TaskEvents::Listener& listener);

  /// `fields` with "elapsedMs": from launch to `at`, by default to now (or to settling).
  nlohmann::json withElapsed(nlohmann::json fields,
                             std::optional<SteadyClock::time_point> at = std::nullopt) const;

  // The fields of each event, as of when it happened (a late subscriber catches up with
  // them), and its report; all with `mutex` held.
  nlohmann::json startedFields() const;
  nlohmann::json progressFields() const;
  nlohmann::json settledFields() const;
  void reportStarted();
  void reportProgressEvent();
  void reportSettled();
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/agents/detail/task_core_inl.hpp>
#endif
