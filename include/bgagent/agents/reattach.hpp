// SPDX-License-Identifier: MIT
// bgagent/agents/reattach.hpp: a host started again takes over the agents an earlier host left
// in an output directory.
//
// Owns: reattach(directory, options), ReattachOptions and Reattached<T>. Each `*.out` file in
// the directory is read once and becomes a task or is skipped, as the table in
// docs/reliability.md ("Agents that survive their host, and re-attaching") says: a finished
// agent's task settles from its file; an agent still running (LaunchOptions::survivesHost) is
// followed through the `Agent:` line's pid, checked by its start time, and can be cancelled
// (the kill sequence); an agent whose host and process are both gone without an ending gets
// one written before its task settles (its RESULT decides, else the exit status its launcher
// recorded with `[EXIT]`, else it failed, its exit status unknown). Files of live hosts (this
// one included), files another host has taken over (it holds their lock) and files that are
// not agents' output are skipped, each with why. The tasks are ordinary
// tasks: one destroyed unsettled cancels its agent; detach() one that is to run on.
// Errors: a directory that does not exist or cannot be read is an Error; a file that cannot be
// read is skipped with its error.
// Thread safety: call from any thread; the tasks are ordinary tasks.
// Example:
//   auto found = bgagent::reattach("/var/lib/ci/agents");
//   if (!found) return report(found.error());
//   for (auto& task : found->tasks) report(task.description(), task.wait());
#pragma once

#include <unistd.h>

#include <bgagent/agents/agent_registry.hpp>
#include <bgagent/agents/detail/reattach_plan.hpp>
#include <bgagent/agents/process_backend.hpp>
#include <bgagent/agents/task.hpp>
#include <bgagent/core/cleanup_policy.hpp>
#include <bgagent/core/clock.hpp>
#include <bgagent/core/error.hpp>
#include <bgagent/core/fsync_policy.hpp>
#include <bgagent/core/result.hpp>
#include <bgagent/protocol/agent_state.hpp>
#include <bgagent/runtime/runtime.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

namespace bgagent {

/// How reattach() takes agents over.
struct ReattachOptions {
  /// As LaunchOptions::cleanup, for the files of the tasks made; Keep (the default) removes
  /// nothing a host did not ask to remove.
  CleanupPolicy cleanup = CleanupPolicy::Keep;
  /// Between SIGTERM and SIGKILL when a followed agent's task is cancelled.
  SteadyClock::duration gracePeriod = std::chrono::seconds(2);
  /// Whether the endings this host writes are forced to disk.
  FsyncPolicy fsync = FsyncPolicy::Never;
  /// The runtime that follows the agents; null: the process-wide default.
  Runtime* runtime = nullptr;
};

/// What reattach() found.
template <typename T>
struct Reattached {
  std::vector<Task<T>> tasks;  ///< one per agent of an earlier host, in file-name order
  std::vector<Error> skipped;  ///< each file left alone, with why (the error names the file)
};

namespace detail {

/// A task for one planned file, on `runtime`.
template <typename T>
Task<T> reattachTask(ReattachPlan& plan, const std::shared_ptr<RuntimeCore>& runtime,
                     const ReattachOptions& options) {
  auto state = std::make_shared<TaskState<T>>();
  state->description = plan.snapshot.description;
  if (std::optional<Error> refused = runtime->refusal()) {
    state->fail(*std::move(refused));
    return Task<T>(state);
  }
  state->runtime = runtime;
  state->outputPath = plan.path;
  state->cleanup = options.cleanup;
  if (plan.step == ReattachStep::Follow) {
    settleIfEndingLost(state);
    state->control->wakeRuntime = [waker = runtime->threads().waker()] { waker->wake(); };
    ProcessSupervisor& supervisor = runtime->processes();
    Result<std::uint64_t> id = supervisor.adopt(plan.snapshot.agent, std::move(*plan.writer),
                                                state->control, options.gracePeriod);
    if (!id) {
      state->fail(id.error());
      return Task<T>(state);
    }
    std::shared_ptr<RunningAgent> agent =
        std::make_shared<ProcessAgent>(supervisor, *id, state->control);
    state->stopAgent = [&running = *agent, control = state->control](EndReason reason) {
      control->recordEnd(reason);
      running.stop(reason);
    };
    state->agent = std::move(agent);
    state->update(plan.snapshot);  // Running, with its progress, from the read just made
  }
  // This host writes what ending is still to come: the file's dead writer is not followed.
  watchTask(state, std::nullopt, ::getpid());
  return Task<T>(state);
}

}  // namespace detail

/// Takes over the agents an earlier host left in `directory` (their LaunchOptions::
/// outputDirectory): a task for each, as the header comment says, and the files skipped.
template <typename T = nlohmann::json>
Result<Reattached<T>> reattach(const std::filesystem::path& directory,
                               const ReattachOptions& options = {}) {
  Result<std::vector<detail::ReattachPlan>> plans = detail::planReattach(directory, options.fsync);
  if (!plans) return plans.error();
  LaunchOptions launch;
  launch.runtime = options.runtime;
  const std::shared_ptr<detail::RuntimeCore> runtime = detail::runtimeFor(launch);
  Reattached<T> found;
  for (detail::ReattachPlan& plan : *plans) {
    if (plan.step == detail::ReattachStep::Skip) {
      found.skipped.push_back(*std::move(plan.skipped));
    } else {
      found.tasks.push_back(detail::reattachTask<T>(plan, runtime, options));
    }
  }
  return found;
}

}  // namespace bgagent
