// SPDX-License-Identifier: MIT
// bgagent/combinators/detail/combinator_inputs.hpp: the inputs of one combinator and what they have
// done so far, shared by the continuations that each input runs when it settles.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/agents/detail/task_state.hpp>
#include <bgagent/agents/task.hpp>
#include <bgagent/combinators/detail/task_control.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bgagent::detail {

inline Error combinatorError(std::string message) {
  return Error::of(ErrorCode::InvalidArgument, std::move(message));
}

template <typename T>
class CombinatorInputs : public std::enable_shared_from_this<CombinatorInputs<T>> {
 public:
  /// What record() saw, decided under the lock so each event is reported exactly once.
  struct Progress {
    std::size_t settled = 0;
    std::size_t failed = 0;
    bool firstFailure = false;  // this record was the first failure
    bool firstSuccess = false;  // this record was the first success
    std::size_t succeeded = 0;
  };

  explicit CombinatorInputs(std::vector<Task<T>> tasks)
      : tasks_(std::move(tasks)), outcomes_(tasks_.size()) {}
  CombinatorInputs(const CombinatorInputs&) = delete;
  CombinatorInputs& operator=(const CombinatorInputs&) = delete;
  CombinatorInputs(CombinatorInputs&&) = delete;
  CombinatorInputs& operator=(CombinatorInputs&&) = delete;
  // Often destroyed on the thread that settled the last input (the watcher's): an input's
  // thread goes to its runtime instead of being joined here.
  ~CombinatorInputs() {
    for (Task<T>& task : tasks_) {
      if (task.valid() && task.settled()) releaseSettled(task);
    }
  }

  std::size_t size() const noexcept { return tasks_.size(); }

  /// A combined task whose cancel() cancels every input still running (C4).
  template <typename R>
  std::shared_ptr<TaskState<R>> makeState(const std::string& name) {
    auto state = std::make_shared<TaskState<R>>();
    state->description = name + "(" + std::to_string(tasks_.size()) + " tasks)";
    state->status = Status::Running;
    owner_ = state->control;
    // A weak reference: the inputs' continuations own this object, and the combined task must
    // not keep its inputs alive through its own stop function.
    state->stopAgent = [weak = this->weak_from_this()](EndReason reason) {
      if (auto inputs = weak.lock()) inputs->cancelRunning(std::nullopt, reason);
    };
    // A strong reference: the roll-up outlives the settling. No lasting cycle: the inputs hold
    // this state only through their continuations, which go once they have run.
    state->children = [inputs = this->shared_from_this()] {
      return childProgressOf(inputs->tasks_);
    };
    reportSettled_ = [weak = std::weak_ptr<TaskState<R>>(state),
                      total = tasks_.size()](std::size_t settled) {
      if (auto alive = weak.lock())
        alive->reportProgress(settledText(settled, total), settled, total);
    };
    reportSettled_(0);
    return state;
  }

  /// Runs `onSettled(index, result)` once per input, when it settles (C5).
  template <typename OnSettled>
  void onEachSettled(OnSettled onSettled) {
    for (std::size_t index = 0; index < tasks_.size(); ++index) {
      const Task<T>& task = tasks_[index];
      TaskAccess::state(task)->whenSettled(
          [&task, index, onSettled]() mutable { onSettled(index, task.wait()); });
    }
  }

  Progress record(std::size_t index, const Result<T>& result) {
    std::lock_guard lock(mutex_);
    outcomes_[index] = result;
    ++settled_;
    Progress progress;
    if (result) {
      progress.firstSuccess = !firstSuccess_;
      if (!firstSuccess_) firstSuccess_ = index;
      successOrder_.push_back(index);
    } else {
      ++failed_;
      progress.firstFailure = !firstFailure_;
      if (!firstFailure_) firstFailure_ = index;
    }
    progress.settled = settled_;
    progress.failed = failed_;
    progress.succeeded = successOrder_.size();
    if (reportSettled_) reportSettled_(settled_);  // under the lock: reports come in order
    return progress;
  }

  /// Stops every input that has not settled, but `except` (C3), with `reason` (C6).
  void cancelRunning(std::optional<std::size_t> except, EndReason reason = EndReason::Cancelled) {
    if (owner_) reason = reasonForInputs(*owner_, reason);
    for (std::size_t index = 0; index < tasks_.size(); ++index) {
      if (except && index == *except) continue;
      if (!tasks_[index].settled()) stopTask(tasks_[index], reason);
    }
  }

  std::vector<T> values() {
    std::lock_guard lock(mutex_);
    std::vector<T> result;
    result.reserve(outcomes_.size());
    for (auto& outcome : outcomes_) result.push_back(std::move(**outcome));
    return result;
  }

  /// The values of the first `count` successes, in the order they succeeded.
  std::vector<T> firstSuccesses(std::size_t count) {
    std::lock_guard lock(mutex_);
    std::vector<T> result;
    result.reserve(count);
    for (std::size_t i = 0; i < count && i < successOrder_.size(); ++i) {
      result.push_back(std::move(**outcomes_[successOrder_[i]]));
    }
    return result;
  }

  std::vector<Result<T>> outcomes() {
    std::lock_guard lock(mutex_);
    std::vector<Result<T>> result;
    result.reserve(outcomes_.size());
    for (auto& outcome : outcomes_) result.push_back(std::move(*outcome));
    return result;
  }

  /// The first failure in time, with every other error, in input order, in `related` (C1, C2).
  Error firstFailureWithOthers() {
    std::lock_guard lock(mutex_);
    Error first = outcomes_[*firstFailure_]->error();
    for (std::size_t index = 0; index < outcomes_.size(); ++index) {
      if (index != *firstFailure_ && outcomes_[index] && !*outcomes_[index]) {
        first.related.push_back(outcomes_[index]->error());
      }
    }
    return first;
  }

  /// An aggregate of every failure, in input order.
  Error everyFailure(std::string message) {
    std::lock_guard lock(mutex_);
    Error aggregate{ErrorCode::AgentFailed, std::move(message), "", 0, 0, {}};
    for (const auto& outcome : outcomes_) {
      if (outcome && !*outcome) aggregate.related.push_back(outcome->error());
    }
    return aggregate;
  }

 private:
  std::vector<Task<T>> tasks_;                      // fixed once built: read without the lock
  std::function<void(std::size_t)> reportSettled_;  // set by makeState, before any input settles
  std::shared_ptr<const AgentControl> owner_;       // the combined task's; set with reportSettled_
  std::mutex mutex_;
  std::vector<std::optional<Result<T>>> outcomes_;  // guarded by mutex_
  std::size_t settled_ = 0;                         // guarded by mutex_
  std::size_t failed_ = 0;                          // guarded by mutex_
  std::optional<std::size_t> firstFailure_;         // guarded by mutex_
  std::optional<std::size_t> firstSuccess_;         // guarded by mutex_
  std::vector<std::size_t> successOrder_;           // guarded by mutex_
};

}  // namespace bgagent::detail
