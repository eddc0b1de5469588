// SPDX-License-Identifier: MIT
// bgagent/combinators/time_limit.hpp: withTimeLimit, a deadline that really stops the work
// (docs/combinators.md). A time limit stops the work; a timeout (Task::waitFor,
// WaitOptions::timeout) only ends a wait.
//
// Owns: withTimeLimit(task, limit), and withTimeout, its former name (deprecated). On expiry the
// task is stopped with the reason "timed out": an agent's file records it, and a combinator,
// sequence or retry passes the same stop to every input it still runs, so a child's effective
// deadline is the smaller of its own and its parents' (rule C6). Threads: the deadline fires on the
// runtime's thread (the task's own runtime, or the default one for a combined task); the result
// settles on the thread that settles the task. Example:
//   auto build = bgagent::withTimeLimit(bgagent::launch({.prompt = "make"}),
//                                       std::chrono::minutes(5));
#pragma once

#include <bgagent/agents/task.hpp>
#include <bgagent/combinators/detail/step_runner.hpp>
#include <bgagent/core/detail/duration_text.hpp>
#include <bgagent/core/detail/file_system.hpp>
#include <bgagent/runtime/detail/default_runtime.hpp>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <utility>

namespace bgagent {

/// The task's outcome, or TimedOut (DeadlineExceeded) once `limit` has passed, the task then
/// stopped and its own error kept in `related`.
template <typename T, typename Rep, typename Period>
Task<T> withTimeLimit(Task<T> task, std::chrono::duration<Rep, Period> limit) {
  if (!task.valid()) throw std::invalid_argument("bgagent: withTimeLimit() of an empty Task");
  const SteadyClock::duration span = std::chrono::duration_cast<SteadyClock::duration>(limit);
  auto runner =
      detail::StepRunner<T>::create("withTimeLimit(" + task.description() + ")", task.outputPath());
  const std::shared_ptr<detail::RuntimeCore> runtime = detail::runtimeOf(task);
  const std::uint64_t timer =
      runtime->timers().schedule(detail::saturatingAdd<SteadyClock>(SteadyClock::now(), span),
                                 [weak = std::weak_ptr<detail::StepRunner<T>>(runner)] {
                                   if (auto alive = weak.lock())
                                     alive->stop(detail::EndReason::TimedOut);
                                 });
  // Refused (the runtime has shut down): no deadline could ever fire, so the task is stopped
  // now rather than left to run without one.
  if (timer == 0 && !task.settled()) runner->stop(detail::EndReason::Cancelled);
  runner->run(
      std::move(task),
      [runtime, timer, span](const std::shared_ptr<detail::StepRunner<T>>& self, Result<T> result) {
        runtime->timers().cancel(timer);
        // Once the deadline has passed, a value that comes after it (a combinator that
        // settles with every outcome when stopped) is not the task finishing in time.
        if (self->stopped() == detail::EndReason::TimedOut) {
          Error error = Error::of(
              ErrorCode::DeadlineExceeded,
              "'" + self->description() + "' did not finish within " + detail::durationText(span));
          if (!result) {
            error.path = result.error().path;
            error.related.push_back(result.error());
          }
          self->fail(std::move(error));
          return;
        }
        if (result) {
          self->succeed(std::move(*result));
        } else {
          self->fail(result.error());
        }
      });
  return runner->task();
}

/// The former name of withTimeLimit, kept for one release.
template <typename T, typename Rep, typename Period>
[[deprecated(
    "renamed withTimeLimit: a time limit stops the work, a timeout only ends a wait")]] Task<T>
withTimeout(Task<T> task, std::chrono::duration<Rep, Period> limit) {
  return withTimeLimit(std::move(task), limit);
}

}  // namespace bgagent
