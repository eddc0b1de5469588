// SPDX-License-Identifier: MIT
// bgagent/combinators/detail/step_runner.hpp: the state behind a composite that runs one task at a
// time (sequence, pipeline, retry, withFallback, withTimeLimit, a pool's slot): the combined task,
// the step running now, and why the composite was stopped. Steps are started by the thread that
// settled the step before (rule C7); stopping reaches the step running now or, when none runs,
// whatever waits in its place (a backoff timer).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/combinators/detail/task_control.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace bgagent::detail {

template <typename R>
class StepRunner : public std::enable_shared_from_this<StepRunner<R>> {
 public:
  /// A runner whose combined task is Running; `outputPath` names a single inner agent's file.
  static std::shared_ptr<StepRunner> create(std::string description,
                                            std::filesystem::path outputPath = {}) {
    auto runner = std::shared_ptr<StepRunner>(new StepRunner());
    runner->state_->description = std::move(description);
    runner->state_->outputPath = std::move(outputPath);
    runner->state_->status = Status::Running;
    // A weak reference: the steps' continuations own the runner, and the combined task must
    // not keep them alive through its own stop function.
    runner->state_->stopAgent = [weak = runner->weak_from_this()](EndReason reason) {
      if (auto alive = weak.lock()) alive->stop(reason);
    };
    return runner;
  }

  Task<R> task() const { return Task<R>(state_); }

  void reportProgress(std::string text, std::size_t done, std::size_t total) {
    state_->reportProgress(std::move(text), done, total);
  }
  const std::string& description() const { return state_->description; }
  /// An event of the combined task's own (a retry's attempt), kept for a late event log.
  void recordEvent(std::string_view kind, nlohmann::json fields) {
    state_->recordEvent(kind, std::move(fields));
  }

  /// Runs `task` as the step running now; `onSettled(runner, result)` runs once it settles. A
  /// runner already stopped stops the step at once (it still settles, and onSettled runs).
  template <typename T, typename OnSettled>
  void run(Task<T> task, OnSettled onSettled) {
    Followed<T> step(std::move(task));
    const std::function<void(EndReason)> stopStep = step.stopper();
    // Installed before the step can settle, so its continuation clears it before it starts the
    // next step, never after.
    setStopper(stopStep);
    if (const EndReason reason = stopped(); reason != EndReason::None) stopStep(reason);
    step.whenSettled([self = this->shared_from_this(),
                      onSettled = std::move(onSettled)](Result<T> result) mutable {
      self->setStopper(nullptr);
      onSettled(self, std::move(result));
    });
  }

  /// What stop() reaches while no step runs (a backoff wait); cleared with nullptr.
  void setStopper(std::function<void(EndReason)> stopper) {
    std::lock_guard lock(mutex_);
    stopper_ = std::move(stopper);
  }

  /// Stops the composite: the first reason wins; the step running now is stopped with it.
  void stop(EndReason reason) {
    std::function<void(EndReason)> stopper;
    {
      std::lock_guard lock(mutex_);
      if (reason_ != EndReason::None) return;
      reason_ = reason;
      stopper = stopper_;
    }
    if (stopper) stopper(reason);
  }

  /// Why the composite was stopped, or None.
  EndReason stopped() const {
    std::lock_guard lock(mutex_);
    return reason_;
  }

  bool settled() const {
    std::lock_guard lock(state_->mutex);
    return state_->outcome.has_value();
  }

  void succeed(R value) { state_->complete(std::move(value), Status::Succeeded); }

  /// Fails with `error`; a composite that was stopped settles as Cancelled or TimedOut, its
  /// code saying so (the step's own error keeps its words).
  void fail(Error error) {
    const EndReason reason = stopped();
    Status status = statusOf(error);
    if (reason != EndReason::None) {
      status = statusForStop(reason);
      error.code = codeForStop(reason);
    }
    state_->complete(std::move(error), status);
  }

  /// The error a composite settles with when it was stopped before its next step began.
  Error stoppedError() const {
    const EndReason reason = stopped();
    return Error::of(
        codeForStop(reason),
        "'" + description() + (reason == EndReason::TimedOut ? "' timed out" : "' was cancelled"));
  }

 private:
  StepRunner() = default;

 public:
  StepRunner(const StepRunner&) = delete;
  StepRunner& operator=(const StepRunner&) = delete;
  StepRunner(StepRunner&&) = delete;
  StepRunner& operator=(StepRunner&&) = delete;
  /// Nothing can settle the combined task once its runner is gone (a retry whose backoff timer
  /// a shutting-down runtime dropped): it settles Cancelled here rather than never.
  ~StepRunner() {
    try {
      if (settled()) return;
      state_->complete(Error::of(ErrorCode::Cancelled,
                                 "'" + state_->description +
                                     "' was cancelled: nothing was left to finish it (its runtime "
                                     "shut down)"),
                       Status::Cancelled);
    } catch (...) {
      // Destructors never throw; only allocation can fail here.
    }
  }

 private:
  std::shared_ptr<TaskState<R>> state_ = std::make_shared<TaskState<R>>();
  mutable std::mutex mutex_;
  EndReason reason_ = EndReason::None;      // guarded by mutex_
  std::function<void(EndReason)> stopper_;  // guarded by mutex_
};

}  // namespace bgagent::detail
