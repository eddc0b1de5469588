// bgagent/detail/task_state.hpp: what a Task<T> shares with what finishes it: the runtime's
// watch callback (which settles it from the output file) and the agent its backend started.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <atomic>
#include <bgagent/agent_backend.hpp>
#include <bgagent/agent_state.hpp>
#include <bgagent/cleanup_policy.hpp>
#include <bgagent/detail/agent_control.hpp>
#include <bgagent/detail/runtime_core.hpp>
#include <bgagent/result.hpp>
#include <bgagent/status.hpp>
#include <bgagent/wait_outcome.hpp>
#include <bgagent/watch_handle.hpp>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace bgagent {

/// One input of a combined task, as a progress roll-up shows it (Task::children()).
struct ChildProgress {
  std::string description;
  Status status = Status::Pending;
  Progress progress;  ///< the child's latest PROGRESS, or its own roll-up
  std::filesystem::path outputPath;
};

namespace detail {

/// Every task, combined ones included, gets its own id: an event log names tasks by it.
inline std::uint64_t nextTaskId() noexcept {
  static std::atomic<std::uint64_t> lastId{0};
  return lastId.fetch_add(1, std::memory_order_relaxed) + 1;
}

template <typename T>
struct TaskState {
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
  std::condition_variable settledChanged;
  OutputSnapshot snapshot;                              // guarded by mutex
  Status status = Status::Pending;                      // guarded by mutex
  std::optional<Result<T>> outcome;                     // guarded by mutex
  std::optional<SteadyClock::time_point> settledAt;     // guarded by mutex
  std::optional<SteadyClock::time_point> lastOutputAt;  // agents only; guarded by mutex
  std::optional<SteadyClock::time_point> runningAt;     // agents only; guarded by mutex
  std::optional<SteadyClock::time_point> progressAt;    // guarded by mutex
  std::vector<std::function<void()>> continuations;     // guarded by mutex

  std::promise<Result<T>> promise;
  std::shared_future<Result<T>> future = promise.get_future().share();
  WatchHandle watch;
  std::atomic<bool> watchSettled{false};  // the watcher has called back: nothing to unwatch
  std::atomic<std::uint64_t> watchId{0};  // the watch's id once registered, for other threads
  std::shared_ptr<RunningAgent> agent;    // agents only; set before shared; last, so it ends first

  TaskState() = default;
  TaskState(const TaskState&) = delete;
  TaskState& operator=(const TaskState&) = delete;
  TaskState(TaskState&&) = delete;
  TaskState& operator=(TaskState&&) = delete;
  // A settled watch is gone from the runtime already; unwatching it would only wake the
  // runtime's thread for nothing.
  ~TaskState() {
    if (watchSettled.load(std::memory_order_acquire)) watch.release();
  }

  void update(const OutputSnapshot& latest) {
    std::lock_guard lock(mutex);
    const bool progressed = latest.progress.updates != snapshot.progress.updates;
    snapshot = latest;
    const SteadyClock::time_point now = SteadyClock::now();
    lastOutputAt = now;  // called for new bytes only: output or a HEARTBEAT
    // Reported under the lock, so an event log that starts listening meanwhile (EventLog::add
    // reads the status under it) sees each change once.
    if (status == Status::Pending && latest.status != Status::Pending) {
      status = Status::Running;
      runningAt = now;
      reportStarted();
    }
    if (progressed) {
      progressAt = now;
      reportProgressEvent();
    }
  }

  /// Stops the agent for `reason` (the first reason wins), telling the event log once.
  void requestStop(EndReason reason) {
    EndReason expected = EndReason::None;
    if (control->endReason.compare_exchange_strong(expected, reason)) {
      // Under the lock, as EventLog::add subscribes: a log added now sees the request.
      std::lock_guard lock(mutex);
      if (!outcome) {
        control->events.report("cancelRequested", [&] {
          return withElapsed({{"reason", toString(reason)}});
        });
      }
    }
    if (stopAgent) stopAgent(reason);
  }

  /// Reports `kind` with `fields` and keeps it for an event log added later (a retry's
  /// attempts: rare, so built even when nobody listens).
  void recordEvent(std::string_view kind, nlohmann::json fields) {
    std::lock_guard lock(mutex);
    control->events.reportAndKeep(kind, withElapsed(std::move(fields)));
  }

  /// `fields` with "elapsedMs": from launch to `at`, by default to now (or to settling).
  nlohmann::json withElapsed(nlohmann::json fields,
                             std::optional<SteadyClock::time_point> at = std::nullopt) const {
    const SteadyClock::time_point until = at.value_or(settledAt.value_or(SteadyClock::now()));
    fields["elapsedMs"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - startedAt).count();
    return fields;
  }

  // The fields of each event, as of when it happened (an event log added late catches up with
  // them), and its report; all with `mutex` held.
  nlohmann::json startedFields() const {
    // A combined task runs from its creation.
    return withElapsed({{"description", description}, {"outputFile", outputPath.string()}},
                       runningAt.value_or(startedAt));
  }
  nlohmann::json progressFields() const {
    return withElapsed(
        {{"text", snapshot.progress.text},
         {"percent", snapshot.progress.percent ? nlohmann::json(*snapshot.progress.percent)
                                               : nlohmann::json(nullptr)}},
        progressAt);
  }
  nlohmann::json settledFields() const {
    nlohmann::json fields{{"status", toString(status)}, {"outputFile", outputPath.string()}};
    if (outcome && !outcome->has_value()) {
      const Error& error = outcome->error();
      fields["error"] = {{"code", toString(error.code)}, {"message", error.message}};
    }
    return withElapsed(std::move(fields));
  }
  void reportStarted() {
    control->events.report("started", [&] { return startedFields(); });
  }
  void reportProgressEvent() {
    control->events.report("progress", [&] { return progressFields(); });
  }
  void reportSettled() {
    control->events.reportEnd("settled", [&] { return settledFields(); });
  }

  /// The agent is known to have ended: stopping it has nothing left to do.
  bool agentEnded() const noexcept { return agent && agent->ended(); }

  /// Settled by something other than its watch (a launch failure, a lost ending).
  bool settledWithoutWatch() const {
    std::lock_guard lock(mutex);
    return outcome.has_value() && !watchSettled.load(std::memory_order_acquire);
  }

  /// A combined task's own progress: `done` of `total` inputs settled (or stages passed).
  void reportProgress(std::string text, std::size_t done, std::size_t total) {
    std::lock_guard lock(mutex);
    snapshot.progress.text = std::move(text);
    snapshot.progress.percent =
        total == 0 ? 100.0 : 100.0 * static_cast<double>(done) / static_cast<double>(total);
    ++snapshot.progress.updates;
    progressAt = SteadyClock::now();
    reportProgressEvent();
  }

  /// Turns the watch's outcome into the task's, converting the RESULT to T (user code, so
  /// outside the lock), then wakes every waiter. Runs once.
  void settle(WaitOutcome waited) {
    const EndReason reason = control->endReason.load(std::memory_order_acquire);
    Status finalStatus = Status::Failed;
    std::optional<Error> error = waited.error;
    switch (waited.status) {
      case Status::Succeeded:
        finalStatus = Status::Succeeded;
        break;
      case Status::TimedOut:
        finalStatus = Status::TimedOut;
        requestStop(EndReason::TimedOut);
        break;
      case Status::Crashed:
        finalStatus = Status::Crashed;
        break;
      case Status::Cancelled:
        finalStatus = Status::Cancelled;
        break;
      default:
        break;
    }
    // A process agent killed by a signal the host did not send crashed (the supervisor's RESULT
    // names the signal).
    if (finalStatus == Status::Failed && reason == EndReason::None && error &&
        waited.snapshot.result.is_object() && waited.snapshot.result.contains("signal")) {
      finalStatus = Status::Crashed;
      error->code = ErrorCode::AgentKilled;
    }
    // A runtime that shut down under the agent cancelled it.
    if (finalStatus == Status::Failed &&
        (reason == EndReason::Cancelled || reason == EndReason::HostShutdown)) {
      finalStatus = Status::Cancelled;
    }
    if (finalStatus == Status::Failed && reason == EndReason::TimedOut) {
      finalStatus = Status::TimedOut;
    }
    if (error) {
      if (finalStatus == Status::Cancelled) error->code = ErrorCode::Cancelled;
      if (finalStatus == Status::TimedOut) error->code = ErrorCode::DeadlineExceeded;
    }
    Result<T> result = error ? Result<T>(nameAgent(*error)) : convert(waited.snapshot);
    if (!result && finalStatus == Status::Succeeded) finalStatus = Status::Failed;
    if (cleanup == CleanupPolicy::DeleteAlways ||
        (cleanup == CleanupPolicy::DeleteOnSuccess && finalStatus == Status::Succeeded)) {
      std::error_code ignored;
      std::filesystem::remove(outputPath, ignored);
    }
    complete(std::move(result), finalStatus, std::move(waited.snapshot));
  }

  /// Settles the task: records the outcome, wakes every waiter, then runs the continuations
  /// (outside the lock, on this thread). Runs once; later calls are ignored.
  void complete(Result<T> result, Status finalStatus, std::optional<OutputSnapshot> last = {}) {
    std::vector<std::function<void()>> toRun;
    {
      std::lock_guard lock(mutex);
      if (outcome) return;
      if (last) snapshot = std::move(*last);
      status = finalStatus;
      outcome = result;
      settledAt = SteadyClock::now();
      reportSettled();
      toRun.swap(continuations);
    }
    settledChanged.notify_all();
    promise.set_value(std::move(result));
    for (auto& continuation : toRun) continuation();
  }

  /// Runs `continuation` once the task has settled: at once (on this thread) if it has, else on
  /// the thread that settles it. Combinators use this instead of a thread per input.
  void whenSettled(std::function<void()> continuation) {
    // A parent's task in a forked child never settles here: the continuation runs now, and
    // its wait() reports why (Task::wait), rather than a combined task waiting forever. Its
    // mutex is not taken: a parent's thread may have held it at the fork.
    if (ownerPid != currentPid().load(std::memory_order_relaxed)) {
      continuation();
      return;
    }
    {
      std::lock_guard lock(mutex);
      if (!outcome) {
        continuations.push_back(std::move(continuation));
        return;
      }
    }
    continuation();
  }

  /// A failure that settles the task before any agent ran (a launch error).
  void fail(Error error) {
    WaitOutcome waited;
    waited.status = Status::Failed;
    waited.error = std::move(error);
    settle(std::move(waited));
  }

  Error nameAgent(Error error) const {
    error.message = "agent '" + description + "': " + error.message;
    if (error.path.empty()) error.path = outputPath.string();
    return error;
  }

  Result<T> convert(const OutputSnapshot& settled) const {
    if constexpr (std::is_same_v<T, nlohmann::json>) {
      return settled.result;
    } else {
      try {
        return settled.result.template get<T>();
      } catch (const nlohmann::json::exception& exception) {
        return nameAgent(
            Error{ErrorCode::InvalidResult,
                  "output file '" + outputPath.string() +
                      "': RESULT does not convert to the requested type: " + exception.what(),
                  outputPath.string(), 0, 0});
      }
    }
  }
};

}  // namespace detail
}  // namespace bgagent
