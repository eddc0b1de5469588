// SPDX-License-Identifier: MIT
// bgagent/combinators/run_limited.hpp: a range of launches with at most N running, and halt
// policies like GNU parallel's --halt (docs/combinators.md).
//
// Owns: HaltPolicy and runLimited(launches, limit, halt). Launches are called lazily, in order,
// never more than `limit` running; the result is every outcome in launch order (it never fails,
// like allSettled). A halt policy stops further launches after N (or N%) failures or N
// successes, and with HaltAction::KillRunning stops the running ones too; launches that never
// ran are Cancelled errors saying why.
// Threads: none of its own; each launch is called by the thread that settled a task before it
// (or by the caller, for the first `limit`).
// Example:
//   std::vector<std::function<bgagent::Task<>()>> jobs = ...;
//   auto outcomes = bgagent::runLimited(std::move(jobs), 2,
//                                       bgagent::HaltPolicy::afterFailures(1)).get();
#pragma once

#include <bgagent/agents/task.hpp>
#include <bgagent/combinators/detail/step_runner.hpp>
#include <bgagent/combinators/sequence.hpp>
#include <cmath>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bgagent {

/// What runLimited does once its HaltPolicy is reached.
enum class HaltAction {
  StopLaunching,  ///< let the running ones finish; launch no more
  KillRunning,    ///< launch no more, and stop the running ones
};

/// When runLimited stops: never, after `count` failures (or `percent` % of all launches), or
/// after `count` successes.
struct HaltPolicy {
  /// Which count halts; the factory functions below set it.
  enum class When { Never, AfterFailures, AfterFailurePercent, AfterSuccesses };
  When when = When::Never;  ///< which count halts
  std::size_t count = 0;    ///< failures or successes that halt (0 counts as 1)
  double percent = 0.0;     ///< for AfterFailurePercent: failures, in % of all launches
  HaltAction action = HaltAction::StopLaunching;  ///< what halting does

  /// Never halts: every launch runs.
  static HaltPolicy never() { return {}; }
  /// Halts once `failures` launches have failed (at least 1).
  static HaltPolicy afterFailures(std::size_t failures,
                                  HaltAction action = HaltAction::StopLaunching) {
    return {When::AfterFailures, failures, 0.0, action};
  }
  /// Halts once `percent` % of all launches, rounded up and at least 1, have failed.
  static HaltPolicy afterFailurePercent(double percent,
                                        HaltAction action = HaltAction::StopLaunching) {
    return {When::AfterFailurePercent, 0, percent, action};
  }
  /// Halts once `successes` launches have succeeded (at least 1).
  static HaltPolicy afterSuccesses(std::size_t successes,
                                   HaltAction action = HaltAction::StopLaunching) {
    return {When::AfterSuccesses, successes, 0.0, action};
  }

  /// The reason to halt after these counts of `total` launches, or nothing.
  std::optional<std::string> reached(std::size_t failures, std::size_t successes,
                                     std::size_t total) const {
    switch (when) {
      case When::Never:
        return std::nullopt;
      case When::AfterFailures:
        if (failures >= std::max<std::size_t>(count, 1))
          return "halted after " + std::to_string(failures) + " failures";
        return std::nullopt;
      case When::AfterFailurePercent:
        if (static_cast<double>(failures) >=
            std::max(1.0, std::ceil(percent / 100.0 * static_cast<double>(total))))
          return "halted after " + std::to_string(failures) + " failures of " +
                 std::to_string(total);
        return std::nullopt;
      case When::AfterSuccesses:
        if (successes >= std::max<std::size_t>(count, 1))
          return "halted after " + std::to_string(successes) + " successes";
        return std::nullopt;
    }
    return std::nullopt;
  }
};

namespace detail {

template <typename T>
class LimitedRun : public std::enable_shared_from_this<LimitedRun<T>> {
 public:
  LimitedRun(std::vector<std::function<Task<T>()>> launches, std::size_t limit, HaltPolicy halt)
      : launches_(std::move(launches)),
        limit_(limit),
        halt_(halt),
        outcomes_(launches_.size()),
        state_(std::make_shared<TaskState<std::vector<Result<T>>>>()) {
    state_->description = "runLimited(" + std::to_string(launches_.size()) + " launches, " +
                          std::to_string(limit) + " at a time)";
    state_->status = Status::Running;
  }

  Task<std::vector<Result<T>>> start() {
    state_->stopAgent = [weak = this->weak_from_this()](EndReason reason) {
      if (auto alive = weak.lock()) alive->haltAll("cancelled", reason);
    };
    launchMore();
    return Task<std::vector<Result<T>>>(state_);
  }

 private:
  // Launches while a slot is free and launches are left; settles when nothing runs or waits.
  // One loop at a time: a call while it runs (a task that settled as it was launched, or one
  // settling on another thread) only asks it to look again, so no launch costs stack.
  void launchMore() {
    {
      std::lock_guard lock(mutex_);
      if (launching_) {
        lookAgain_ = true;
        return;
      }
      launching_ = true;
    }
    while (true) {
      std::size_t index = 0;
      {
        std::lock_guard lock(mutex_);
        if (halted_ || next_ == launches_.size() || running_ == limit_) {
          if (lookAgain_) {
            lookAgain_ = false;
            continue;
          }
          launching_ = false;
          break;
        }
        index = next_++;
        ++running_;
      }
      Result<Task<T>> task = launchStage<T>(launches_[index]);
      if (!task) {
        record(index, std::move(task).error());
        continue;
      }
      Followed<T> followed(std::move(*task));
      std::optional<EndReason> stopAtOnce;  // halted to kill while this one was launched
      {
        std::lock_guard lock(mutex_);
        stoppers_.emplace(index, followed.stopper());
        if (killing_) stopAtOnce = stopReason_;
      }
      if (stopAtOnce) followed.stopper()(*stopAtOnce);
      followed.whenSettled([self = this->shared_from_this(), index](Result<T> result) {
        self->record(index, std::move(result));
        self->launchMore();
      });
    }
    finishIfDone();
  }

  // Records an outcome, and halts when the policy says so.
  void record(std::size_t index, Result<T> result) {
    std::optional<std::string> haltReason;
    {
      std::lock_guard lock(mutex_);
      (result ? successes_ : failures_)++;
      outcomes_[index] = std::move(result);
      stoppers_.erase(index);
      --running_;
      ++settled_;
      // Under the lock: reports come in order.
      state_->reportProgress(settledText(settled_, launches_.size()), settled_, launches_.size());
      if (!halted_) haltReason = halt_.reached(failures_, successes_, launches_.size());
    }
    if (haltReason) {
      haltAll(*haltReason,
              halt_.action == HaltAction::KillRunning ? EndReason::Cancelled : EndReason::None);
    }
  }

  // Stops launching; with a reason, stops the running ones too. A halt that only stopped
  // launching becomes one that stops the running ones when a reason comes later (an outer
  // cancel after a StopLaunching halt).
  void haltAll(const std::string& why, EndReason stopRunning) {
    std::vector<std::function<void(EndReason)>> toStop;
    {
      std::lock_guard lock(mutex_);
      if (!halted_) {
        halted_ = true;
        for (std::size_t index = next_; index < launches_.size(); ++index) {
          outcomes_[index] = Error::of(ErrorCode::Cancelled, "not launched: " + why);
        }
        next_ = launches_.size();
      }
      if (stopRunning != EndReason::None && !killing_) {
        killing_ = true;
        stopReason_ = stopRunning;
        for (auto& [index, stop] : stoppers_) toStop.push_back(stop);
      }
    }
    for (auto& stop : toStop) stop(stopRunning);
    finishIfDone();
  }

  void finishIfDone() {
    std::vector<Result<T>> results;
    {
      std::lock_guard lock(mutex_);
      if (finished_ || running_ > 0 || next_ < launches_.size()) return;
      finished_ = true;
      results.reserve(outcomes_.size());
      for (auto& outcome : outcomes_) results.push_back(std::move(*outcome));
    }
    state_->complete(std::move(results), Status::Succeeded);
  }

  std::vector<std::function<Task<T>()>> launches_;  // fixed once built
  const std::size_t limit_;
  const HaltPolicy halt_;
  std::mutex mutex_;
  std::vector<std::optional<Result<T>>> outcomes_;                  // guarded by mutex_
  std::map<std::size_t, std::function<void(EndReason)>> stoppers_;  // guarded by mutex_
  std::size_t next_ = 0;                                            // guarded by mutex_
  std::size_t running_ = 0;                                         // guarded by mutex_
  std::size_t settled_ = 0;                                         // guarded by mutex_
  std::size_t successes_ = 0;                                       // guarded by mutex_
  std::size_t failures_ = 0;                                        // guarded by mutex_
  bool halted_ = false;                                             // guarded by mutex_
  bool launching_ = false;                                          // guarded by mutex_
  bool lookAgain_ = false;                                          // guarded by mutex_
  bool finished_ = false;                                           // guarded by mutex_
  bool killing_ = false;  // the running ones are being stopped; guarded by mutex_
  EndReason stopReason_ = EndReason::Cancelled;  // guarded by mutex_
  std::shared_ptr<TaskState<std::vector<Result<T>>>> state_;
};

}  // namespace detail

/// Calls the launches in order with at most `limit` of their tasks running; every outcome in
/// launch order. Never fails: launches the halt policy (or an outer cancel) dropped are
/// Cancelled errors.
template <typename T>
Task<std::vector<Result<T>>> runLimited(std::vector<std::function<Task<T>()>> launches,
                                        std::size_t limit, HaltPolicy halt = {}) {
  if (limit == 0) throw std::invalid_argument("bgagent: runLimited() needs a limit of at least 1");
  auto run = std::make_shared<detail::LimitedRun<T>>(std::move(launches), limit, halt);
  return run->start();
}

}  // namespace bgagent
