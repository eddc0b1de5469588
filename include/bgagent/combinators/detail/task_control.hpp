// SPDX-License-Identifier: MIT
// bgagent/combinators/detail/task_control.hpp: what combinators do to the tasks they own beyond the
// public API: stop one with a reason (a deadline stops as "timed out", not "cancelled"), let go of
// a settled one from any thread, and follow one until it settles.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/agents/task.hpp>
#include <bgagent/runtime/detail/default_runtime.hpp>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

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

/// Stops the task of `state` as Task::cancel() does, recording `reason` (the first reason
/// wins).
template <typename T>
void stopState(TaskState<T>& state, EndReason reason) {
  state.requestStop(reason);
}

/// The runtime of a task's agent, or the default one for a combined task: whose timers serve
/// a combinator over it.
template <typename T>
std::shared_ptr<RuntimeCore> runtimeOf(const Task<T>& task) {
  const auto& state = TaskAccess::state(task);
  // In a forked child the parent's runtime has no thread: its timers would never fire.
  if (state && state->runtime && !state->runtime->forkedAway()) return state->runtime;
  return DefaultRuntime::get();
}

/// The reason to stop a combinator's other inputs with: its owner's, once the owner has stopped
/// it (a deadline), else `asked`. The owner's reason is recorded before any input is stopped,
/// so an input that settles from that stop passes it on to the others, not "cancelled" (C6).
inline EndReason reasonForInputs(const AgentControl& owner, EndReason asked) noexcept {
  const EndReason ownerReason = owner.endReason.load(std::memory_order_acquire);
  return ownerReason != EndReason::None ? ownerReason : asked;
}

template <typename T>
void stopTask(const Task<T>& task, EndReason reason) {
  if (const auto& state = TaskAccess::state(task)) stopState(*state, reason);
}

/// Lets go of a settled task on whichever thread settled it: an agent still running after its
/// task settled (an early ERROR) is stopped, and an in-process agent's thread is joined by the
/// runtime once finished, never by this thread (which may be the runtime's, that the agent
/// could need).
template <typename T>
void releaseSettled(Task<T>& task) noexcept {
  if (!task.valid()) return;
  TaskState<T>& state = *TaskAccess::state(task);
  try {
    if (agentMayRun(state)) state.stopAgent(EndReason::Cancelled);
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
  explicit Followed(Task<T> task)
      : held_(std::make_shared<Task<T>>(std::move(task))), state_(TaskAccess::state(*held_)) {}

  /// Stops the task with a reason. It holds the task's state, never the Task object, which the
  /// settling thread lets go of meanwhile; stopping a settled task does nothing.
  std::function<void(EndReason)> stopper() const {
    return [weak = state_](EndReason reason) {
      if (auto alive = weak.lock()) stopState(*alive, reason);
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
  std::weak_ptr<TaskState<T>> state_;
};

/// The status a combined task settles with for an error.
Status statusOf(const Error& error) noexcept;

/// The status a composite settles with when its owner stopped it for `reason`.
Status statusForStop(EndReason reason) noexcept;

ErrorCode codeForStop(EndReason reason) noexcept;

/// Fails a combined task with an aggregate error: Failed, or Cancelled / TimedOut (with the
/// matching code) when its owner stopped it.
template <typename R>
void failStopped(TaskState<R>& state, Error error) {
  Status status = Status::Failed;
  const EndReason reason = state.control->endReason.load(std::memory_order_acquire);
  if (reason != EndReason::None) {
    status = statusForStop(reason);
    error.code = codeForStop(reason);
  }
  state.complete(std::move(error), status);
}

/// "k/n settled", a combined task's own progress text.
std::string settledText(std::size_t settled, std::size_t total);

template <typename T>
ChildProgress childProgressOf(const Task<T>& task) {
  if (!task.valid()) return {};
  return ChildProgress{task.description(), task.status(), task.snapshot().progress,
                       task.outputPath()};
}

/// The roll-up of a combinator's inputs, in input order.
template <typename T>
std::vector<ChildProgress> childProgressOf(const std::vector<Task<T>>& tasks) {
  std::vector<ChildProgress> children;
  children.reserve(tasks.size());
  for (const Task<T>& task : tasks) children.push_back(childProgressOf(task));
  return children;
}

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/combinators/detail/task_control_inl.hpp>
#endif
