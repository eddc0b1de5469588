// bgagent/detail/task_control.hpp: what combinators do to the tasks they own beyond the public
// API: stop one with a reason (a deadline stops as "timed out", not "cancelled"), let go of a
// settled one from any thread, and follow one until it settles.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/task.hpp>
#include <memory>
#include <type_traits>
#include <utility>

namespace bgagent::detail {

/// The T of a Task<T>, for launch callables whose result type names it.
template <typename TaskType>
struct TaskValue;
template <typename T>
struct TaskValue<Task<T>> {
  using type = T;
};
template <typename Launch, typename... Args>
using LaunchedValue =
    typename TaskValue<std::remove_cvref_t<std::invoke_result_t<Launch&, Args...>>>::type;

/// Stops `task` as Task::cancel() does, recording `reason` (the first reason wins).
template <typename T>
void stopTask(const Task<T>& task, EndReason reason) {
  const auto& state = TaskAccess::state(task);
  if (!state) return;
  EndReason expected = EndReason::None;
  state->control->endReason.compare_exchange_strong(expected, reason);
  if (state->stopAgent) state->stopAgent(reason);
}

/// Lets go of a settled task on whichever thread settled it: an agent still running after its
/// task settled (an early ERROR) is stopped, and an in-process agent's thread is joined by the
/// reaper, never by this thread (which may be the watcher's, that the agent could need).
template <typename T>
void releaseSettled(Task<T>& task) noexcept {
  if (!task.valid()) return;
  TaskState<T>& state = *TaskAccess::state(task);
  try {
    if (state.stopAgent && !state.control->reaped.load(std::memory_order_acquire)) {
      state.stopAgent(EndReason::Cancelled);
    }
  } catch (...) {
    // Only allocation can fail; the agent is then stopped when its state goes.
  }
  task.detach();
}

/// A task owned until it settles. Take its stopper first, then register what runs when it
/// settles: registering may run it at once, on this thread.
template <typename T>
class Followed {
 public:
  explicit Followed(Task<T> task) : held_(std::make_shared<Task<T>>(std::move(task))) {}

  /// Stops the task with a reason; does nothing once it has settled and been let go.
  std::function<void(EndReason)> stopper() const {
    return [weak = std::weak_ptr<Task<T>>(held_)](EndReason reason) {
      if (auto alive = weak.lock()) stopTask(*alive, reason);
    };
  }

  /// Runs `onSettled(Result<T>)` on the thread that settles the task. Call once.
  template <typename OnSettled>
  void whenSettled(OnSettled onSettled) {
    const auto state = TaskAccess::state(*held_);
    // The continuation owns the task; it is dropped once it has run.
    state->whenSettled([held = std::move(held_), onSettled = std::move(onSettled)]() mutable {
      Result<T> result = held->wait();
      releaseSettled(*held);
      onSettled(std::move(result));
    });
  }

 private:
  std::shared_ptr<Task<T>> held_;
};

/// The status a combined task settles with for an error.
inline TaskStatus statusOf(const Error& error) noexcept {
  switch (error.code) {
    case ErrorCode::Cancelled:
      return TaskStatus::Cancelled;
    case ErrorCode::DeadlineExceeded:
      return TaskStatus::TimedOut;
    case ErrorCode::AgentKilled:
      return TaskStatus::Crashed;
    default:
      return TaskStatus::Failed;
  }
}

/// The status a composite settles with when its owner stopped it for `reason`.
inline TaskStatus statusForStop(EndReason reason) noexcept {
  return reason == EndReason::TimedOut ? TaskStatus::TimedOut : TaskStatus::Cancelled;
}

inline ErrorCode codeForStop(EndReason reason) noexcept {
  return reason == EndReason::TimedOut ? ErrorCode::DeadlineExceeded : ErrorCode::Cancelled;
}

/// Fails a combined task with an aggregate error: Failed, or Cancelled / TimedOut (with the
/// matching code) when its owner stopped it.
template <typename R>
void failStopped(TaskState<R>& state, Error error) {
  TaskStatus status = TaskStatus::Failed;
  const EndReason reason = state.control->endReason.load(std::memory_order_acquire);
  if (reason != EndReason::None) {
    status = statusForStop(reason);
    error.code = codeForStop(reason);
  }
  state.complete(std::move(error), status);
}

}  // namespace bgagent::detail
