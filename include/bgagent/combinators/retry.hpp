// SPDX-License-Identifier: MIT
// bgagent/combinators/retry.hpp: retry with backoff (docs/combinators.md).
//
// Owns: Backoff (fixed or exponential, capped, with optional jitter), RetryOptions and retry().
// An attempt is a launch, called with its number (1-based) so it can say which attempt it is in
// its own output file (its description, say). A cancelled attempt is never retried; an outer
// cancel during a backoff wait ends it at once.
// Threads: backoff waits are timers of the first attempt's runtime, whose thread then launches
// the next attempt (rule C7); no thread waits.
// Example:
//   auto flaky = bgagent::retry(
//       [](int attempt) {
//         return bgagent::launch({.description = "fetch (attempt " + std::to_string(attempt) + ")",
//                                 .prompt = "./fetch.sh"});
//       },
//       {.maxAttempts = 4, .backoff = bgagent::Backoff::exponential(100ms, 2s)});
#pragma once

#include <algorithm>
#include <atomic>
#include <bgagent/agents/task.hpp>
#include <bgagent/combinators/detail/step_runner.hpp>
#include <bgagent/combinators/sequence.hpp>
#include <bgagent/combinators/time_limit.hpp>
#include <bgagent/core/detail/duration_text.hpp>
#include <bgagent/core/detail/file_system.hpp>
#include <bgagent/core/detail/renamed_time_limit.hpp>
#include <bgagent/runtime/detail/default_runtime.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace bgagent {

/// The wait before attempt k+1: initial * multiplier^(k-1), at most `maximum`, then shortened
/// by a random fraction of up to `jitter` (0: none, 1: anywhere down to zero).
struct Backoff {
  SteadyClock::duration initial = std::chrono::milliseconds(100);  ///< after the first failure
  double multiplier = 2.0;  ///< growth per failed attempt; below 1 counts as 1
  SteadyClock::duration maximum = std::chrono::seconds(30);  ///< the cap, before jitter
  double jitter = 0.0;  ///< the largest random fraction taken off a wait, 0 to 1

  /// The same `wait` after every failed attempt, without jitter.
  static Backoff fixed(SteadyClock::duration wait) { return {wait, 1.0, wait, 0.0}; }
  /// `initial`, then multiplied by `multiplier` after each further failure, up to `maximum`;
  /// without jitter.
  static Backoff exponential(SteadyClock::duration initial, SteadyClock::duration maximum,
                             double multiplier = 2.0) {
    return {initial, multiplier, maximum, 0.0};
  }

  /// The wait after the `failedAttempt`-th attempt failed (1-based).
  SteadyClock::duration after(int failedAttempt) const {
    double wait = std::chrono::duration<double>(initial).count();
    const double cap = std::chrono::duration<double>(maximum).count();
    for (int i = 1; i < failedAttempt && wait < cap; ++i) wait *= std::max(multiplier, 1.0);
    wait = std::clamp(wait, 0.0, std::max(cap, 0.0));
    if (jitter > 0.0) {
      thread_local std::mt19937_64 random{std::random_device{}()};
      std::uniform_real_distribution<double> fraction(0.0, std::min(jitter, 1.0));
      wait *= 1.0 - fraction(random);
    }
    // Beyond the clock's range a cast would overflow: the longest wait is the longest duration.
    using Seconds = std::chrono::duration<double>;
    if (Seconds(wait) >= Seconds(SteadyClock::duration::max())) return SteadyClock::duration::max();
    return std::chrono::duration_cast<SteadyClock::duration>(Seconds(wait));
  }
};

/// How retry() repeats a failed launch: how many attempts, how long to wait between them, which
/// failures are worth another attempt, and how long each attempt may run.
struct RetryOptions {
  int maxAttempts = 3;  ///< attempts in all, the first included
  Backoff backoff{};    ///< the wait between a failed attempt and the next
  /// Whether a failed attempt is retried; empty: every failure but a cancellation. Never
  /// consulted for a cancellation, which is never retried.
  std::function<bool(const Error&)> retryIf{};
  /// Each attempt in withTimeLimit with this limit.
  std::optional<SteadyClock::duration> attemptTimeLimit{};
  /// The former name of attemptTimeLimit: setting it still works, with a warning, for one
  /// release.
  detail::RenamedTimeLimit<SteadyClock::duration> attemptTimeout{};
};

namespace detail {

template <typename T>
struct RetryState {
  std::function<Task<T>(int)> launch;
  RetryOptions options;
  std::vector<Error> failures;  // earlier attempts, in order; touched by one attempt at a time
  std::shared_ptr<RuntimeCore> runtime;  // whose timers wait the backoffs: the first attempt's
};

template <typename T>
Error retryError(Error last, std::vector<Error> earlier, int attempts, const std::string& why) {
  last.message = "after " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts") +
                 why + ": " + last.message;
  last.related = std::move(earlier);
  return last;
}

template <typename T>
void failStoppedRetry(StepRunner<T>& runner, const RetryState<T>& retry) {
  Error stopped = runner.stoppedError();
  stopped.related = retry.failures;
  runner.fail(std::move(stopped));
}

/// Why a failure is not retried, or nothing when retryIf allows it. A retryIf that throws
/// declines, and says so.
inline std::optional<std::string> askRetryIf(const RetryOptions& options, const Error& error) {
  if (!options.retryIf) return std::nullopt;
  try {
    if (options.retryIf(error)) return std::nullopt;
    return " (retryIf declined)";
  } catch (const std::exception& exception) {
    return std::string(" (retryIf threw: ") + exception.what() + ")";
  } catch (...) {
    return " (retryIf threw)";
  }
}

/// An "attempt" event: which attempt, the agent it launched, and why the one before failed.
template <typename T>
nlohmann::json attemptFields(const RetryState<T>& retry, int attempt, const Result<Task<T>>& task) {
  nlohmann::json fields{{"attempt", attempt}, {"maxAttempts", retry.options.maxAttempts}};
  if (task) {
    fields["attemptTask"] = task->id();
    fields["outputFile"] = task->outputPath().string();
  } else {
    fields["launchError"] = task.error().message;
  }
  if (!retry.failures.empty()) fields["previousError"] = retry.failures.back().message;
  return fields;
}

template <typename T>
void runAttempt(const std::shared_ptr<StepRunner<T>>& runner,
                const std::shared_ptr<RetryState<T>>& retry, int attempt) {
  if (runner->stopped() != EndReason::None) {
    failStoppedRetry(*runner, *retry);
    return;
  }
  auto launch = [&] { return retry->launch(attempt); };
  Result<Task<T>> task = launchStage<T>(launch);
  if (!retry->runtime) retry->runtime = task ? runtimeOf(*task) : DefaultRuntime::get();
  runner->recordEvent("attempt", attemptFields(*retry, attempt, task));
  const std::optional<SteadyClock::duration> attemptTimeLimit =
      resolvedTimeLimit(retry->options.attemptTimeLimit, retry->options.attemptTimeout);
  if (task && attemptTimeLimit) {
    task = withTimeLimit(std::move(*task), *attemptTimeLimit);
  }
  auto onSettled = [retry, attempt](const std::shared_ptr<StepRunner<T>>& self, Result<T> result) {
    if (result) {
      self->succeed(std::move(*result));
      return;
    }
    Error error = std::move(result).error();
    const RetryOptions& options = retry->options;
    const EndReason stopped = self->stopped();
    std::string why;
    if (stopped == EndReason::TimedOut) {
      why = " (timed out: not retried)";
    } else if (error.code == ErrorCode::Cancelled || stopped != EndReason::None) {
      why = " (cancelled: not retried)";
    } else if (attempt >= options.maxAttempts) {
      why = "";
    } else if (std::optional<std::string> declined = askRetryIf(options, error)) {
      why = *declined;
    } else {
      retry->failures.push_back(std::move(error));
      // The stopper goes in before the timer exists: a timer that fires at once installs the
      // next attempt's stopper after it, never before.
      auto timer = std::make_shared<std::atomic<std::uint64_t>>(0);
      self->setStopper([weak = std::weak_ptr<StepRunner<T>>(self), retry, timer](EndReason) {
        if (!retry->runtime->timers().cancel(timer->load())) return;  // not yet, or it has fired
        if (auto alive = weak.lock()) failStoppedRetry(*alive, *retry);
      });
      // The timer owns the runner while it waits: nothing else runs for it then.
      timer->store(retry->runtime->timers().schedule(
          saturatingAdd<SteadyClock>(SteadyClock::now(), options.backoff.after(attempt)),
          [self, retry, attempt] {
            self->setStopper(nullptr);
            runAttempt(self, retry, attempt + 1);
          }));
      if (timer->load() == 0) {  // refused: the runtime has shut down, so no attempt follows
        self->setStopper(nullptr);
        self->fail(retryError<T>(runtimeShutDownError(), retry->failures, attempt,
                                 " (the runtime shut down: not retried)"));
        return;
      }
      // Stopped before the timer existed: the stopper could not cancel it; this can.
      if (self->stopped() != EndReason::None && retry->runtime->timers().cancel(timer->load())) {
        failStoppedRetry(*self, *retry);
      }
      return;
    }
    self->fail(retryError<T>(std::move(error), retry->failures, attempt, why));
  };
  if (!task) {
    onSettled(runner, std::move(task).error());
    return;
  }
  runner->run(std::move(*task), onSettled);
}

}  // namespace detail

/// Runs `launch(1)`, and on failure waits the backoff and runs `launch(2)`, up to
/// `maxAttempts`; the first success, or the last failure with every earlier one in `related`.
template <typename Launch>
Task<detail::LaunchedValue<Launch, int>> retry(Launch launch, RetryOptions options = {}) {
  using T = detail::LaunchedValue<Launch, int>;
  auto runner = detail::StepRunner<T>::create("retry(up to " + std::to_string(options.maxAttempts) +
                                              " attempts)");
  if (options.maxAttempts < 1) {
    runner->fail(Error::of(ErrorCode::InvalidArgument, "retry() needs maxAttempts >= 1"));
    return runner->task();
  }
  auto state = std::make_shared<detail::RetryState<T>>(detail::RetryState<T>{
      std::function<Task<T>(int)>(std::move(launch)), std::move(options), {}, nullptr});
  detail::runAttempt(runner, state, 1);
  return runner->task();
}

}  // namespace bgagent
