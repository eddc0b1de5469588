// SPDX-License-Identifier: MIT
// bgagent/combinators/fallback.hpp: graceful degradation (docs/combinators.md).
//
// Owns: withFallback(task, fallback), which launches the fallback only when the task failed
// (never when it was cancelled), and failureAsValue(task), which turns a failure into the value
// {"success": false, "error": ..., "code": ...} so a caller that must not fail gets a value it
// can inspect.
// Threads: none of its own; the fallback is launched on the thread that settled the task.
// Example:
//   auto summary = bgagent::withFallback(bgagent::launch({.prompt = "./summarise --llm"}),
//                                        [](const bgagent::Error&) {
//                                          return bgagent::launch({.prompt = "./summarise
//                                          --plain"});
//                                        });
#pragma once

#include <bgagent/agents/task.hpp>
#include <bgagent/combinators/detail/step_runner.hpp>
#include <bgagent/combinators/sequence.hpp>
#include <memory>
#include <stdexcept>
#include <utility>

namespace bgagent {

/// The task's value; if it failed (not cancelled), the value of `fallback(itsError)`'s task. When
/// both fail, the fallback's error with the task's in `related`.
template <typename T, typename Fallback>
Task<T> withFallback(Task<T> task, Fallback fallback) {
  if (!task.valid()) throw std::invalid_argument("bgagent: withFallback() of an empty Task");
  auto runner = detail::StepRunner<T>::create("withFallback(" + task.description() + ")");
  runner->run(std::move(task), [fallback = std::move(fallback)](
                                   const std::shared_ptr<detail::StepRunner<T>>& self,
                                   Result<T> result) mutable {
    if (result) {
      self->succeed(std::move(*result));
      return;
    }
    Error first = std::move(result).error();
    if (first.code == ErrorCode::Cancelled || self->stopped() != detail::EndReason::None) {
      self->fail(std::move(first));
      return;
    }
    auto launch = [&] { return fallback(first); };
    Result<Task<T>> replacement = detail::launchStage<T>(launch);
    if (!replacement) {
      Error error = std::move(replacement).error();
      error.message = "the fallback did not start: " + error.message;
      error.related.push_back(std::move(first));
      self->fail(std::move(error));
      return;
    }
    self->run(std::move(*replacement),
              [first](const std::shared_ptr<detail::StepRunner<T>>& done, Result<T> second) {
                if (second) {
                  done->succeed(std::move(*second));
                  return;
                }
                Error error = std::move(second).error();
                error.related.push_back(first);
                done->fail(std::move(error));
              });
  });
  return runner->task();
}

/// Never fails for the task's failure: its value as JSON, or {"success": false, "error":
/// message, "code": name} (with "stage" when a sequence failed). Settles Cancelled only when
/// the wrapper itself is cancelled.
template <typename T>
Task<nlohmann::json> failureAsValue(Task<T> task) {
  if (!task.valid()) throw std::invalid_argument("bgagent: failureAsValue() of an empty Task");
  auto runner = detail::StepRunner<nlohmann::json>::create(
      "failureAsValue(" + task.description() + ")", task.outputPath());
  runner->run(std::move(task), [](const std::shared_ptr<detail::StepRunner<nlohmann::json>>& self,
                                  Result<T> result) {
    if (self->stopped() != detail::EndReason::None && !result) {
      self->fail(std::move(result).error());
      return;
    }
    if (result) {
      self->succeed(nlohmann::json(std::move(*result)));
      return;
    }
    const Error& error = result.error();
    nlohmann::json value{
        {"success", false}, {"error", error.message}, {"code", std::string(toString(error.code))}};
    if (!error.stage.empty()) value["stage"] = error.stage;
    if (!error.path.empty()) value["outputFile"] = error.path;
    self->succeed(std::move(value));
  });
  return runner->task();
}

}  // namespace bgagent
