// SPDX-License-Identifier: MIT
// bgagent/combinators/combinators.hpp: all, allSettled, any, race and some over ranges of tasks
//
// Owns: five Promise-style combinators for a range of tasks (std::vector<Task<T>>), and
// anyWinner/raceWinner, which also say which input won (Winner<T>). Each
// takes its inputs over and returns a Task of its own, so they nest. The semantics table in
// docs/combinators.md is normative: when each settles, its value, its error, what happens to the
// other inputs, what an outer cancel() does, and the empty case.
// Threads: none of its own. Each input runs a continuation when it settles, on the thread that
// settled it; the combined task settles there (rule C5).
// Example:
//   std::vector<bgagent::Task<>> tasks = ...;
//   bgagent::Result<std::vector<nlohmann::json>> every = bgagent::all(std::move(tasks)).wait();
#pragma once

#include <bgagent/agents/task.hpp>
#include <bgagent/combinators/detail/combinator_inputs.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bgagent {

/// How all() treats the other inputs after the first failure.
struct AllOptions {
  /// Cancel every input still running (and wait for them to settle) on the first failure.
  /// False: leave them running, and fail at once.
  bool cancelOthers = true;
};

/// Every value in input order, or the first failure (every other error in its `related`).
template <typename T>
Task<std::vector<T>> all(std::vector<Task<T>> tasks, AllOptions options = {}) {
  auto inputs = std::make_shared<detail::CombinatorInputs<T>>(std::move(tasks));
  auto state = inputs->template makeState<std::vector<T>>("all");
  if (inputs->size() == 0) {
    state->complete(std::vector<T>{}, Status::Succeeded);
    return Task<std::vector<T>>(state);
  }
  inputs->onEachSettled([inputs, state, options](std::size_t index, const Result<T>& result) {
    const auto progress = inputs->record(index, result);
    if (!result && progress.firstFailure && options.cancelOthers) inputs->cancelRunning(index);
    const bool decided =
        progress.settled == inputs->size() || (progress.failed > 0 && !options.cancelOthers);
    if (!decided) return;
    if (progress.failed == 0) {
      state->complete(inputs->values(), Status::Succeeded);
    } else {
      Error error = inputs->firstFailureWithOthers();
      const Status status = detail::statusOf(error);
      state->complete(std::move(error), status);
    }
  });
  return Task<std::vector<T>>(state);
}

/// Every outcome, in input order, once every input settled. Never fails; an outer cancel()
/// cancels the inputs and still settles with every outcome (the cancelled ones as errors).
template <typename T>
Task<std::vector<Result<T>>> allSettled(std::vector<Task<T>> tasks) {
  auto inputs = std::make_shared<detail::CombinatorInputs<T>>(std::move(tasks));
  auto state = inputs->template makeState<std::vector<Result<T>>>("allSettled");
  if (inputs->size() == 0) {
    state->complete(std::vector<Result<T>>{}, Status::Succeeded);
    return Task<std::vector<Result<T>>>(state);
  }
  inputs->onEachSettled([inputs, state](std::size_t index, const Result<T>& result) {
    if (inputs->record(index, result).settled == inputs->size()) {
      state->complete(inputs->outcomes(), Status::Succeeded);
    }
  });
  return Task<std::vector<Result<T>>>(state);
}

/// An any() or race() winner: which input (its index in input order) and its value.
template <typename T>
struct Winner {
  std::size_t index = 0;  ///< the winning input's position in the inputs, from 0
  T value;                ///< the winning input's value
};

namespace detail {

// The inputs and combined state of an any() or race() form; with no inputs, the state has
// failed already (a first of nothing would never settle).
template <typename R, typename T>
auto firstOfInputs(std::vector<Task<T>> tasks, const char* name) {
  auto inputs = std::make_shared<CombinatorInputs<T>>(std::move(tasks));
  auto state = inputs->template makeState<R>(name);
  if (inputs->size() == 0) {
    state->complete(combinatorError(std::string(name) + "() of no tasks"), Status::Failed);
  }
  return std::pair(std::move(inputs), std::move(state));
}

// any() and anyWinner(): the first success decides; `decided(index, value)` is the result.
template <typename R, typename T, typename Decided>
Task<R> firstSuccess(std::vector<Task<T>> tasks, const char* name, Decided decided) {
  // Named variables, not a structured binding: lambdas capture them (clang 14 cannot).
  auto started = firstOfInputs<R>(std::move(tasks), name);
  std::shared_ptr<CombinatorInputs<T>> inputs = std::move(started.first);
  std::shared_ptr<TaskState<R>> state = std::move(started.second);
  if (inputs->size() == 0) return Task<R>(state);
  inputs->onEachSettled([inputs, state, decided](std::size_t index, const Result<T>& result) {
    const auto progress = inputs->record(index, result);
    if (result) {
      if (progress.firstSuccess) {
        inputs->cancelRunning(index);
        state->complete(decided(index, *result), Status::Succeeded);
      }
      return;
    }
    if (progress.failed == inputs->size()) {
      Error error = inputs->everyFailure("all " + std::to_string(inputs->size()) + " tasks failed");
      failStopped(*state, std::move(error));
    }
  });
  return Task<R>(state);
}

// race() and raceWinner(): the first input to settle decides, with `decided(index, value)` or
// its error.
template <typename R, typename T, typename Decided>
Task<R> firstSettled(std::vector<Task<T>> tasks, const char* name, Decided decided) {
  // Named variables, not a structured binding: lambdas capture them (clang 14 cannot).
  auto started = firstOfInputs<R>(std::move(tasks), name);
  std::shared_ptr<CombinatorInputs<T>> inputs = std::move(started.first);
  std::shared_ptr<TaskState<R>> state = std::move(started.second);
  if (inputs->size() == 0) return Task<R>(state);
  inputs->onEachSettled([inputs, state, decided](std::size_t index, const Result<T>& result) {
    if (inputs->record(index, result).settled != 1) return;
    inputs->cancelRunning(index);
    if (result) {
      state->complete(decided(index, *result), Status::Succeeded);
    } else {
      state->complete(result.error(), statusOf(result.error()));
    }
  });
  return Task<R>(state);
}

template <typename T>
T valueOnly(std::size_t /*index*/, const T& value) {
  return value;
}

template <typename T>
Winner<T> winnerOf(std::size_t index, const T& value) {
  return Winner<T>{index, value};
}

}  // namespace detail

/// The first success; the others are then cancelled. Fails only when every input failed, with
/// every failure, in input order, in the error's `related`.
template <typename T>
Task<T> any(std::vector<Task<T>> tasks) {
  return detail::firstSuccess<T>(std::move(tasks), "any", detail::valueOnly<T>);
}

/// any(), saying which input won: its index in input order, and its value.
template <typename T>
Task<Winner<T>> anyWinner(std::vector<Task<T>> tasks) {
  return detail::firstSuccess<Winner<T>>(std::move(tasks), "anyWinner", detail::winnerOf<T>);
}

/// The first `n` successes, in the order they succeeded; the others are then cancelled. Fails
/// once so many inputs failed that `n` successes cannot happen, with every failure in `related`.
template <typename T>
Task<std::vector<T>> some(std::vector<Task<T>> tasks, std::size_t n) {
  auto inputs = std::make_shared<detail::CombinatorInputs<T>>(std::move(tasks));
  auto state = inputs->template makeState<std::vector<T>>("some(" + std::to_string(n) + ")");
  if (n == 0) {
    inputs->cancelRunning(std::nullopt);
    state->complete(std::vector<T>{}, Status::Succeeded);
    return Task<std::vector<T>>(state);
  }
  if (n > inputs->size()) {
    inputs->cancelRunning(std::nullopt);
    state->complete(detail::combinatorError("some(" + std::to_string(n) + ") of " +
                                            std::to_string(inputs->size()) + " tasks"),
                    Status::Failed);
    return Task<std::vector<T>>(state);
  }
  inputs->onEachSettled([inputs, state, n](std::size_t index, const Result<T>& result) {
    const auto progress = inputs->record(index, result);
    if (result && progress.succeeded == n) {
      inputs->cancelRunning(index);
      state->complete(inputs->firstSuccesses(n), Status::Succeeded);
      return;
    }
    // One failure too many: the first time fewer than n inputs could still succeed.
    if (!result && progress.failed == inputs->size() - n + 1) {
      inputs->cancelRunning(index);
      Error error = inputs->everyFailure("only " + std::to_string(progress.succeeded) + " of " +
                                         std::to_string(inputs->size()) + " tasks succeeded, " +
                                         std::to_string(n) + " needed");
      detail::failStopped(*state, std::move(error));
    }
  });
  return Task<std::vector<T>>(state);
}

/// The first input to settle, success or failure, decides; the others are then cancelled.
template <typename T>
Task<T> race(std::vector<Task<T>> tasks) {
  return detail::firstSettled<T>(std::move(tasks), "race", detail::valueOnly<T>);
}

/// race(), saying which input won: its index in input order, and its value. When the first
/// input to settle failed, its error (which names its agent and output file).
template <typename T>
Task<Winner<T>> raceWinner(std::vector<Task<T>> tasks) {
  return detail::firstSettled<Winner<T>>(std::move(tasks), "raceWinner", detail::winnerOf<T>);
}

}  // namespace bgagent
