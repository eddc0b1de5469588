// SPDX-License-Identifier: MIT
// bgagent/combinators/then.hpp: then(task, transform), a task's value turned into another value
// (docs/combinators.md), so results of different types compose: a stage of a sequence can be
// an all() of checks whose values are summed up.
//
// Threads: none of its own; `transform` runs on the thread that settles the task. What it throws
// is the new task's failure.
// Example:
//   bgagent::Task<std::size_t> count = bgagent::then(bgagent::all(std::move(tasks)),
//       [](const std::vector<nlohmann::json>& values) { return values.size(); });
#pragma once

#include <bgagent/agents/task.hpp>
#include <bgagent/combinators/detail/step_runner.hpp>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace bgagent {

/// A task with `transform(value)` as its value; the task's error unchanged when it failed.
template <typename T, typename Transform>
Task<std::invoke_result_t<Transform&, T&&>> then(Task<T> task, Transform transform) {
  using R = std::invoke_result_t<Transform&, T&&>;
  if (!task.valid()) throw std::invalid_argument("bgagent: then() of an empty Task");
  auto runner =
      detail::StepRunner<R>::create("then(" + task.description() + ")", task.outputPath());
  runner->run(std::move(task), [transform = std::move(transform)](
                                   const std::shared_ptr<detail::StepRunner<R>>& self,
                                   Result<T> result) mutable {
    if (!result) {
      self->fail(result.error());
      return;
    }
    // Only the user's transform is guarded: what settling runs afterwards is not its failure.
    std::optional<R> value;
    try {
      value.emplace(transform(std::move(*result)));
    } catch (const std::exception& exception) {
      self->fail(Error::of(ErrorCode::Internal, "'" + self->description() +
                                                    "': the transform threw: " + exception.what()));
      return;
    } catch (...) {
      self->fail(
          Error::of(ErrorCode::Internal, "'" + self->description() + "': the transform threw"));
      return;
    }
    self->succeed(std::move(*value));
  });
  return runner->task();
}

}  // namespace bgagent
