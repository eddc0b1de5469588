// SPDX-License-Identifier: MIT
// bgagent/combinators/sequence.hpp: stages that run one after another (docs/combinators.md).
//
// Owns: Stage and sequence(), which runs its stages in order and stops at the first failure,
// naming the failed stage (Error::stage); PipeStage and pipeline(), where each stage's launch
// gets the value of the stage before it. A stage is a launch, not a task: it starts only when
// the stage before it succeeded.
// Threads: none of its own. Each stage is launched on the thread that settled the one before
// (rule C7); the first on the caller's.
// Example:
//   auto pipeline = bgagent::sequence({
//       {"unit", [] { return bgagent::launch({.description = "unit", .prompt = "make unit"}); }},
//       {"e2e", [] { return bgagent::launch({.description = "e2e", .prompt = "make e2e"}); }}});
//   if (auto done = pipeline.wait(); !done) std::cerr << "failed at " << done.error().stage;
#pragma once

#include <bgagent/agents/task.hpp>
#include <bgagent/combinators/detail/step_runner.hpp>
#include <bgagent/combinators/detail/task_control.hpp>
#include <bgagent/combinators/then.hpp>
#include <cstddef>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace bgagent {

namespace detail {

/// A launch that returns a Task whose value converts to T.
template <typename Launch, typename T>
concept StageLaunch = std::is_convertible_v<LaunchedValue<Launch>, T>;

/// A launch that returns a Task.
template <typename Launch>
concept TaskLaunch = StageLaunch<Launch, LaunchedValue<Launch>>;

}  // namespace detail

/// One stage of a sequence: a name for reports, and the launch that starts it.
template <typename T = nlohmann::json>
struct Stage {
  std::string name;  ///< in progress text and, when the stage fails, in Error::stage
  /// Starts the stage, called only once the stage before it succeeded; what it throws, or an
  /// empty Task, fails the stage.
  std::function<Task<T>()> launch;

  /// A stage with no launch yet.
  Stage() = default;

  /// A stage whose launch returns a Task<T>, or a Task of a value that converts to T. So a
  /// parallel group is a stage as it is: `all(...)` in a sequence of JSON stages gives the
  /// stage the array of the group's values, and the group's first failure fails the stage.
  template <detail::StageLaunch<T> Launch>
  Stage(std::string stageName, Launch stageLaunch) : name(std::move(stageName)) {
    using Launched = detail::LaunchedValue<Launch>;
    if constexpr (std::is_same_v<Launched, T>) {
      launch = std::move(stageLaunch);
    } else {
      launch = [inner = std::move(stageLaunch)]() mutable {
        Task<Launched> launched = inner();
        if (!launched.valid()) return Task<T>();  // reported as the stage's empty Task
        return then(std::move(launched), [](Launched value) { return T(std::move(value)); });
      };
    }
  }
};

/// `Stage{"unit", launchUnit}` is a Stage of the value type of the Task `launchUnit` returns.
/// (Constrained as the constructor is, so that compilers prefer this guide to the one the
/// constructor implies with T's default.)
template <detail::TaskLaunch Launch>
Stage(std::string, Launch) -> Stage<detail::LaunchedValue<Launch>>;

/// One stage of a pipeline: its launch gets the previous stage's value.
template <typename T = nlohmann::json>
struct PipeStage {
  std::string name;  ///< in progress text and, when the stage fails, in Error::stage
  /// Starts the stage with the value of the stage before it (pipeline()'s `input` for the
  /// first); what it throws, or an empty Task, fails the stage.
  std::function<Task<T>(const T& previous)> launch;
};

namespace detail {

/// A stage's error as the sequence reports it: which stage, and the stage's own words.
inline Error stageError(Error error, const std::string& name, std::size_t index,
                        std::size_t count) {
  error.message = "stage '" + name + "' (" + std::to_string(index + 1) + " of " +
                  std::to_string(count) + ") failed: " + error.message;
  error.stage = name;
  return error;
}

/// Calls a user's launch; what it throws becomes the stage's error.
template <typename T, typename Launch>
Result<Task<T>> launchStage(Launch& launch) {
  try {
    Task<T> task = launch();
    if (!task.valid()) {
      return Error::of(ErrorCode::InvalidArgument, "its launch returned an empty Task");
    }
    return task;
  } catch (const std::exception& exception) {
    return Error::of(ErrorCode::Internal, std::string("its launch threw: ") + exception.what());
  } catch (...) {
    return Error::of(ErrorCode::Internal, "its launch threw");
  }
}

template <typename T, typename R, typename Stages, typename Launch, typename Collect,
          typename Finish>
void runStage(const std::shared_ptr<StepRunner<R>>& runner, std::shared_ptr<Stages> stages,
              std::size_t index, Launch launch, Collect collect, Finish finish) {
  const std::size_t count = stages->size();
  if (index == count) {
    runner->reportProgress(std::to_string(count) + "/" + std::to_string(count) + " stages passed",
                           count, count);
    finish(runner);
    return;
  }
  const std::string& name = (*stages)[index].name;
  runner->reportProgress(
      "stage " + std::to_string(index + 1) + " of " + std::to_string(count) + ": " + name, index,
      count);
  if (runner->stopped() != EndReason::None) {
    runner->fail(stageError(runner->stoppedError(), name, index, stages->size()));
    return;
  }
  Result<Task<T>> task = launch(index);
  if (!task) {
    runner->fail(stageError(task.error(), name, index, stages->size()));
    return;
  }
  runner->run(std::move(*task), [stages, index, launch, collect, finish](
                                    const std::shared_ptr<StepRunner<R>>& self, Result<T> result) {
    if (!result) {
      self->fail(stageError(result.error(), (*stages)[index].name, index, stages->size()));
      return;
    }
    collect(index, std::move(*result));
    runStage<T>(self, stages, index + 1, launch, collect, finish);
  });
}

}  // namespace detail

/// Runs the stages one after another; every stage's value in order, or the first failure with
/// the failed stage named in the message and in Error::stage. Later stages never start.
template <typename T = nlohmann::json>
Task<std::vector<T>> sequence(std::vector<Stage<T>> stages) {
  const std::size_t count = stages.size();
  auto runner =
      detail::StepRunner<std::vector<T>>::create("sequence(" + std::to_string(count) + " stages)");
  auto shared = std::make_shared<std::vector<Stage<T>>>(std::move(stages));
  auto values = std::make_shared<std::vector<T>>();
  values->reserve(count);
  detail::runStage<T>(
      runner, shared, 0,
      [shared](std::size_t index) { return detail::launchStage<T>((*shared)[index].launch); },
      [values](std::size_t, T value) { values->push_back(std::move(value)); },
      [values](const std::shared_ptr<detail::StepRunner<std::vector<T>>>& done) {
        done->succeed(std::move(*values));
      });
  return runner->task();
}

/// The same, with the stages written in braces. Their type is deduced: JSON for
/// `sequence({{"build", launchBuild}, {"test", launchTests}})`, the stages' own for
/// `sequence({Stage{"unit", launchUnit}, Stage{"e2e", launchEndToEnd}})`.
template <typename T = nlohmann::json>
Task<std::vector<T>> sequence(std::initializer_list<Stage<T>> stages) {
  return sequence<T>(std::vector<Stage<T>>(stages));
}

/// Runs the stages one after another, each launched with the previous stage's value (the first
/// with `input`); the last value, or the first failure with the failed stage named.
template <typename T>
Task<T> pipeline(T input, std::vector<PipeStage<T>> stages) {
  auto runner =
      detail::StepRunner<T>::create("pipeline(" + std::to_string(stages.size()) + " stages)");
  auto shared = std::make_shared<std::vector<PipeStage<T>>>(std::move(stages));
  auto previous = std::make_shared<T>(std::move(input));
  detail::runStage<T>(
      runner, shared, 0,
      [shared, previous](std::size_t index) {
        auto launch = [&] { return (*shared)[index].launch(*previous); };
        return detail::launchStage<T>(launch);
      },
      [previous](std::size_t, T value) { *previous = std::move(value); },
      [previous](const std::shared_ptr<detail::StepRunner<T>>& done) {
        done->succeed(std::move(*previous));
      });
  return runner->task();
}

}  // namespace bgagent
