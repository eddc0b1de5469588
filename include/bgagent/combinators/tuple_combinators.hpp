// SPDX-License-Identifier: MIT
// bgagent/combinators/tuple_combinators.hpp: the heterogeneous forms of all, allSettled, any and
// race (docs/combinators.md): inputs of different types, given one by one, give a std::tuple.
//
// Owns: all(a, b, ...) -> Task<std::tuple<A, B, ...>>, allSettled(a, b, ...) ->
// Task<std::tuple<Result<A>, Result<B>, ...>>, and any(a, b, ...) / race(a, b, ...) for inputs of
// one type. An input is a Task<T>, a std::future<T> or a std::shared_future<T> (through
// fromFuture). The semantics are the range forms' row for row.
// Threads: none of their own (rule C5).
// Example:
//   auto [report, count] = bgagent::all(bgagent::launch<Report>(...),
//                                       std::async(std::launch::async, countFiles)).get();
#pragma once

#include <bgagent/agents/task.hpp>
#include <bgagent/combinators/combinators.hpp>
#include <bgagent/combinators/detail/task_control.hpp>
#include <bgagent/combinators/from_future.hpp>
#include <concepts>
#include <cstddef>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace bgagent {

namespace detail {

template <typename T>
Task<T> asTask(Task<T>&& task) {
  return std::move(task);
}
template <typename T>
Task<T> asTask(std::future<T>&& future) {
  return fromFuture(std::move(future));
}
template <typename T>
Task<T> asTask(std::shared_future<T> future) {
  return fromFuture(std::move(future));
}

/// A Task<T>, a std::future<T> or a std::shared_future<T>, given by value.
template <typename Input>
concept TaskInput = requires(Input&& input) {
  asTask(std::forward<Input>(input));
};

template <typename Input>
using InputValue = typename TaskValue<decltype(asTask(std::declval<Input>()))>::type;

/// An input whose value type is that of `First`: any() and race() of inputs given one by one.
template <typename Input, typename First>
concept SameValueAs = TaskInput<Input> && std::same_as<InputValue<Input>, InputValue<First>>;

/// The inputs of one heterogeneous combinator and their outcomes, in input order.
template <typename... Ts>
class TupleInputs : public std::enable_shared_from_this<TupleInputs<Ts...>> {
 public:
  static constexpr std::size_t kSize = sizeof...(Ts);

  explicit TupleInputs(Task<Ts>... tasks) : tasks_(std::move(tasks)...) {}
  TupleInputs(const TupleInputs&) = delete;
  TupleInputs& operator=(const TupleInputs&) = delete;
  TupleInputs(TupleInputs&&) = delete;
  TupleInputs& operator=(TupleInputs&&) = delete;
  // As ~CombinatorInputs: no input's thread is joined on the thread that settled it.
  ~TupleInputs() {
    std::apply(
        [](auto&... task) {
          ((task.valid() && task.settled() ? releaseSettled(task) : void()), ...);
        },
        tasks_);
  }

  template <typename R>
  std::shared_ptr<TaskState<R>> makeState(const std::string& name) {
    auto state = std::make_shared<TaskState<R>>();
    state->description = name + "(" + std::to_string(kSize) + " tasks)";
    state->status = Status::Running;
    owner_ = state->control;
    state->stopAgent = [weak = this->weak_from_this()](EndReason reason) {
      if (auto inputs = weak.lock()) inputs->stopRunning(std::nullopt, reason);
    };
    // A strong reference, as in CombinatorInputs::makeState.
    state->children = [inputs = this->shared_from_this()] {
      std::vector<ChildProgress> children;
      std::apply([&](const auto&... task) { (children.push_back(childProgressOf(task)), ...); },
                 inputs->tasks_);
      return children;
    };
    reportSettled_ = [weak = std::weak_ptr<TaskState<R>>(state)](std::size_t settled) {
      if (auto alive = weak.lock())
        alive->reportProgress(settledText(settled, kSize), settled, kSize);
    };
    reportSettled_(0);
    return state;
  }

  /// Runs `onSettled(inputs, index, succeeded, firstFailure, settledSoFar)` once per input,
  /// when it settles, on the thread that settled it (C5).
  template <typename OnSettled>
  void onEachSettled(OnSettled onSettled) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (follow<I>(onSettled), ...);
    }
    (std::index_sequence_for<Ts...>{});
  }

  void stopRunning(std::optional<std::size_t> except, EndReason reason = EndReason::Cancelled) {
    if (owner_) reason = reasonForInputs(*owner_, reason);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((except && *except == I ? void() : stopIfRunning(std::get<I>(tasks_), reason)), ...);
    }
    (std::index_sequence_for<Ts...>{});
  }

  std::tuple<Ts...> values() {
    std::lock_guard lock(mutex_);
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::tuple<Ts...>(std::move(*std::get<I>(outcomes_).value())...);
    }
    (std::index_sequence_for<Ts...>{});
  }

  std::tuple<Result<Ts>...> outcomes() {
    std::lock_guard lock(mutex_);
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::tuple<Result<Ts>...>(std::move(*std::get<I>(outcomes_))...);
    }
    (std::index_sequence_for<Ts...>{});
  }

  /// The first failure in time, with every other error, in input order, in `related`.
  Error firstFailureWithOthers() {
    std::lock_guard lock(mutex_);
    Error first = *errors_[*firstFailure_];
    for (std::size_t index = 0; index < kSize; ++index) {
      if (index != *firstFailure_ && errors_[index]) first.related.push_back(*errors_[index]);
    }
    return first;
  }

  bool anyFailed() const {
    std::lock_guard lock(mutex_);
    return firstFailure_.has_value();
  }

 private:
  template <typename T>
  static void stopIfRunning(const Task<T>& task, EndReason reason) {
    if (!task.settled()) stopTask(task, reason);
  }

  template <std::size_t I, typename OnSettled>
  void follow(OnSettled onSettled) {
    const auto& task = std::get<I>(tasks_);
    TaskAccess::state(task)->whenSettled([self = this->shared_from_this(), onSettled]() mutable {
      auto result = std::get<I>(self->tasks_).wait();
      bool firstFailure = false;
      std::size_t settled = 0;
      const bool succeeded = result.has_value();
      {
        std::lock_guard lock(self->mutex_);
        if (!succeeded) {
          self->errors_[I] = result.error();
          firstFailure = !self->firstFailure_;
          if (firstFailure) self->firstFailure_ = I;
        }
        std::get<I>(self->outcomes_) = std::move(result);
        settled = ++self->settled_;
        self->reportSettled_(settled);  // under the lock: reports come in order
      }
      onSettled(*self, I, succeeded, firstFailure, settled);
    });
  }

  std::tuple<Task<Ts>...> tasks_;                   // fixed once built: read without the lock
  std::function<void(std::size_t)> reportSettled_;  // set by makeState, before any input settles
  std::shared_ptr<const AgentControl> owner_;       // the combined task's; set with reportSettled_
  mutable std::mutex mutex_;
  std::tuple<std::optional<Result<Ts>>...> outcomes_;  // guarded by mutex_
  std::vector<std::optional<Error>> errors_ = std::vector<std::optional<Error>>(kSize);  // mutex_
  std::optional<std::size_t> firstFailure_;  // guarded by mutex_
  std::size_t settled_ = 0;                  // guarded by mutex_
};

template <typename... Inputs>
auto makeTupleInputs(Inputs&&... inputs) {
  return std::make_shared<TupleInputs<InputValue<Inputs>...>>(
      asTask(std::forward<Inputs>(inputs))...);
}

}  // namespace detail

/// Every value, as a tuple in input order, or the first failure (every other error in its
/// `related`); the other inputs are cancelled on the first failure.
template <detail::TaskInput First, detail::TaskInput... Rest>
Task<std::tuple<detail::InputValue<First>, detail::InputValue<Rest>...>> all(First&& first,
                                                                             Rest&&... rest) {
  using Values = std::tuple<detail::InputValue<First>, detail::InputValue<Rest>...>;
  constexpr std::size_t kCount = 1 + sizeof...(Rest);
  auto tuple = detail::makeTupleInputs(std::forward<First>(first), std::forward<Rest>(rest)...);
  auto state = tuple->template makeState<Values>("all");
  tuple->onEachSettled([state](auto& settledInputs, std::size_t index, bool, bool firstFailure,
                               std::size_t settled) {
    if (firstFailure) settledInputs.stopRunning(index);
    if (settled != kCount) return;
    if (!settledInputs.anyFailed()) {
      state->complete(settledInputs.values(), Status::Succeeded);
    } else {
      Error error = settledInputs.firstFailureWithOthers();
      const Status status = detail::statusOf(error);
      state->complete(std::move(error), status);
    }
  });
  return Task<Values>(state);
}

/// Every outcome, as a tuple in input order, once every input settled. Never fails.
template <detail::TaskInput First, detail::TaskInput... Rest>
Task<std::tuple<Result<detail::InputValue<First>>, Result<detail::InputValue<Rest>>...>> allSettled(
    First&& first, Rest&&... rest) {
  using Outcomes =
      std::tuple<Result<detail::InputValue<First>>, Result<detail::InputValue<Rest>>...>;
  constexpr std::size_t kCount = 1 + sizeof...(Rest);
  auto tuple = detail::makeTupleInputs(std::forward<First>(first), std::forward<Rest>(rest)...);
  auto state = tuple->template makeState<Outcomes>("allSettled");
  tuple->onEachSettled([state](auto& settledInputs, std::size_t, bool, bool, std::size_t settled) {
    if (settled == kCount) state->complete(settledInputs.outcomes(), Status::Succeeded);
  });
  return Task<Outcomes>(state);
}

namespace detail {
template <typename... Inputs>
auto taskVector(Inputs&&... inputs) {
  using T = std::common_type_t<InputValue<Inputs>...>;
  std::vector<Task<T>> tasks;
  tasks.reserve(sizeof...(Inputs));
  (tasks.push_back(asTask(std::forward<Inputs>(inputs))), ...);
  return tasks;
}
}  // namespace detail

/// any() of inputs of one type, given one by one.
template <detail::TaskInput First, detail::SameValueAs<First>... Rest>
Task<detail::InputValue<First>> any(First&& first, Rest&&... rest) {
  return any(detail::taskVector(std::forward<First>(first), std::forward<Rest>(rest)...));
}

/// race() of inputs of one type, given one by one.
template <detail::TaskInput First, detail::SameValueAs<First>... Rest>
Task<detail::InputValue<First>> race(First&& first, Rest&&... rest) {
  return race(detail::taskVector(std::forward<First>(first), std::forward<Rest>(rest)...));
}

/// anyWinner() of inputs of one type, given one by one.
template <detail::TaskInput First, detail::SameValueAs<First>... Rest>
Task<Winner<detail::InputValue<First>>> anyWinner(First&& first, Rest&&... rest) {
  return anyWinner(detail::taskVector(std::forward<First>(first), std::forward<Rest>(rest)...));
}

/// raceWinner() of inputs of one type, given one by one.
template <detail::TaskInput First, detail::SameValueAs<First>... Rest>
Task<Winner<detail::InputValue<First>>> raceWinner(First&& first, Rest&&... rest) {
  return raceWinner(detail::taskVector(std::forward<First>(first), std::forward<Rest>(rest)...));
}

}  // namespace bgagent
