// SPDX-License-Identifier: MIT
// bgagent/agents/detail/task_state.hpp: what a Task<T> shares with what finishes it: the untyped
// TaskCore (the agent, its file's news, its events) plus the typed outcome and the future its
// waiters block on. The runtime's watch callback settles it from the output file.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/agents/detail/task_core.hpp>
#include <bgagent/core/result.hpp>
#include <bgagent/core/status.hpp>
#include <bgagent/protocol/result_conversion.hpp>
#include <bgagent/protocol/wait_outcome.hpp>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bgagent::detail {

template <typename T>
struct TaskState : TaskCore {
  std::optional<Result<T>> outcome;  // guarded by mutex
  std::promise<Result<T>> promise;
  std::shared_future<Result<T>> future = promise.get_future().share();

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
    // A process agent killed by a signal the host did not send crashed, unless it reported its
    // failure before: then it failed, whichever of the two this read reached first.
    if (finalStatus == Status::Failed && reason == EndReason::None && error &&
        control->killedBy.load(std::memory_order_acquire) != 0 &&
        !control->reportedItsOwnFailure(*error)) {
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
    const bool stillWritten = control->leftRunning.load(std::memory_order_acquire);
    if (!stillWritten &&
        (cleanup == CleanupPolicy::DeleteAlways ||
         (cleanup == CleanupPolicy::DeleteOnSuccess && finalStatus == Status::Succeeded))) {
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
      if (!result) settledError = result.error();
      settledAt = SteadyClock::now();
      reportSettled();
      toRun.swap(continuations);
    }
    promise.set_value(std::move(result));
    for (auto& continuation : toRun) continuation();
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
      Result<T> converted = convertResult<T>(settled.result);
      if (converted) return converted;
      Error error = converted.error();
      error.message = "output file '" + outputPath.string() + "': " + error.message;
      error.path = outputPath.string();
      return nameAgent(std::move(error));
    }
  }
};

}  // namespace bgagent::detail
