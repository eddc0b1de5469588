// SPDX-License-Identifier: MIT
// bgagent/combinators/from_future.hpp: ordinary async work (std::future, std::shared_future) as a
// Task, so combinators mix it with agents: `all(launch(...), fromFuture(std::async(...)))`.
//
// Owns: fromFuture(). A future has no continuation, so the default runtime's thread looks at it at
// growing intervals (1 ms, doubling, at most 50 ms); no thread waits on it. The work behind a
// future cannot be stopped: cancelling the task settles it Cancelled at once, while the work runs
// on to its end (the timer keeps the future until then, so no library thread ever waits for a
// std::async thread). A deferred future is refused: it would run only when waited for.
// Example:
//   bgagent::Task<int> answer = bgagent::fromFuture(std::async(std::launch::async, [] { return 42;
//   }));
#pragma once

#include <algorithm>
#include <bgagent/agents/task.hpp>
#include <bgagent/combinators/detail/step_runner.hpp>
#include <bgagent/runtime/detail/default_runtime.hpp>
#include <chrono>
#include <exception>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace bgagent {

namespace detail {

template <typename T>
class FutureTask : public std::enable_shared_from_this<FutureTask<T>> {
 public:
  explicit FutureTask(std::shared_future<T> future) : future_(std::move(future)) {
    state_->description = "future";
    state_->status = Status::Running;
  }

  FutureTask(const FutureTask&) = delete;
  FutureTask& operator=(const FutureTask&) = delete;
  FutureTask(FutureTask&&) = delete;
  FutureTask& operator=(FutureTask&&) = delete;
  /// The last timer that held it was dropped (its runtime shut down): nobody will look at the
  /// future again, so the task settles Cancelled rather than never.
  ~FutureTask() {
    try {
      if (future_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
        settle();
      } else {
        stop(EndReason::Cancelled);
      }
    } catch (...) {
      // Destructors never throw; only allocation can fail here.
    }
  }

  Task<T> start() {
    state_->stopAgent = [weak = this->weak_from_this()](EndReason reason) {
      if (auto alive = weak.lock()) alive->stop(reason);
    };
    check(std::chrono::milliseconds(1));
    return Task<T>(state_);
  }

 private:
  static constexpr std::chrono::milliseconds kLongestInterval{50};

  void check(std::chrono::milliseconds interval) {
    if (future_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      settle();  // ignored when a stop settled the task already
      return;
    }
    // The timer owns this object until the future is ready, even after a stop: the last
    // reference to a std::async result joins its thread, which must never happen on the
    // runtime's thread. (Once the runtime has shut down the timer is refused and the future is
    // let go of here, on the caller's thread.)
    runtime_->timers().schedule(SteadyClock::now() + interval,
                                [self = this->shared_from_this(), interval] {
                                  self->check(std::min(interval * 2, kLongestInterval));
                                });
  }

  void stop(EndReason reason) {
    state_->complete(Error::of(codeForStop(reason),
                               reason == EndReason::TimedOut
                                   ? "future: stopped waiting (timed out); its work runs on"
                                   : "future: stopped waiting (cancelled); its work runs on"),
                     statusForStop(reason));
  }

  void settle() {
    try {
      state_->complete(future_.get(), Status::Succeeded);
    } catch (const std::exception& exception) {
      state_->complete(
          Error::of(ErrorCode::AgentFailed, std::string("future: threw: ") + exception.what()),
          Status::Failed);
    } catch (...) {
      state_->complete(Error::of(ErrorCode::AgentFailed, "future: threw an exception"),
                       Status::Failed);
    }
  }

  std::shared_ptr<RuntimeCore> runtime_ = DefaultRuntime::get();
  std::shared_future<T> future_;
  std::shared_ptr<TaskState<T>> state_ = std::make_shared<TaskState<T>>();
};

}  // namespace detail

/// A task that settles with the future's value, or its exception's what() as a failure.
template <typename T>
Task<T> fromFuture(std::shared_future<T> future) {
  static_assert(!std::is_void_v<T> && !std::is_reference_v<T>,
                "bgagent: fromFuture needs a future of a value (not void or a reference)");
  if (!future.valid()) throw std::invalid_argument("bgagent: fromFuture() of an empty future");
  if (future.wait_for(std::chrono::seconds(0)) == std::future_status::deferred) {
    throw std::invalid_argument(
        "bgagent: fromFuture() of a deferred future: it runs only when waited for, so it would "
        "never settle");
  }
  return std::make_shared<detail::FutureTask<T>>(std::move(future))->start();
}

/// As fromFuture(std::shared_future<T>), for a std::future, which it shares.
template <typename T>
Task<T> fromFuture(std::future<T> future) {
  if (!future.valid()) throw std::invalid_argument("bgagent: fromFuture() of an empty future");
  return fromFuture(future.share());
}

}  // namespace bgagent
