// SPDX-License-Identifier: MIT
// bgagent/agents/detail/task_launch.hpp: the steps every launch shares, whatever backend runs the
// agent: a TaskState bound to a runtime, the backend's start (which makes the output file), and
// the watch that settles the task from that file.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/agents/agent_backend.hpp>
#include <bgagent/agents/detail/task_state.hpp>
#include <bgagent/agents/launch_options.hpp>
#include <bgagent/agents/task.hpp>
#include <bgagent/protocol/output_writer.hpp>
#include <bgagent/runtime/detail/default_runtime.hpp>
#include <bgagent/runtime/runtime.hpp>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace bgagent::detail {

/// The runtime a launch with `options` runs on: the one it names, or the default.
std::shared_ptr<RuntimeCore> runtimeFor(const LaunchOptions& options);

/// A state that failed before any agent ran, with `error`.
template <typename T>
std::shared_ptr<TaskState<T>> failedState(const LaunchOptions& options, Error error) {
  auto state = std::make_shared<TaskState<T>>();
  state->description = options.description;
  state->fail(std::move(error));
  return state;
}

/// The watch that settles `state` from its output file; it ends the agent at `timeLimit` when
/// the agent does not enforce it itself (in-process agents; the supervisor times processes out).
template <typename T>
void watchTask(const std::shared_ptr<TaskState<T>>& state,
               std::optional<SteadyClock::duration> timeLimit) {
  WaitOptions waitOptions;
  waitOptions.timeout = timeLimit;
  waitOptions.onUpdate = [state](const OutputSnapshot& snapshot) { state->update(snapshot); };
  state->watch = state->runtime->watches().watch(
      state->outputPath, std::move(waitOptions), [state](WaitOutcome outcome) {
        state->watchSettled.store(true, std::memory_order_release);
        state->settle(std::move(outcome));
      });
  state->watchId.store(state->watch.id(), std::memory_order_release);
  // Settled already without the watcher (a lost ending): nothing is left for the watch to do.
  if (state->settledWithoutWatch()) state->watch.cancel();
}

/// Ends the watch of a task settled without it (its file lost the ending): the watch would
/// otherwise wait forever, holding the state that holds it. From any thread.
template <typename T>
void endWatchOf(TaskState<T>& state) {
  const std::uint64_t id = state.watchId.load(std::memory_order_acquire);
  if (id == 0) return;  // watchTask ends it once registered
  try {
    state.runtime->watches().cancelWatch(id);
  } catch (...) {
    // Only allocation can fail; the watch then stays until the watcher shuts down.
  }
}

Error internalError(std::string message);

/// Records a backend's failure to start in the file it made, so the file says why. Through the
/// start's writer, or, when the backend moved that writer away, through the file opened again.
void recordStartFailure(AgentStart& start, const Error& error);

/// Lets a task be settled directly when its file cannot record the ending (rule 16's exception).
template <typename T>
void settleIfEndingLost(const std::shared_ptr<TaskState<T>>& state) {
  state->control->onEndingLost = [weak = std::weak_ptr<TaskState<T>>(state)](const Error& error) {
    if (auto alive = weak.lock()) {
      alive->fail(error);
      endWatchOf(*alive);
    }
  };
}

/// Starts an agent with `backend` and returns its task at once: already failed if the runtime
/// refuses work or the backend cannot start it (the file, if made, records why).
template <typename T>
Task<T> startTask(const LaunchOptions& asked, const AgentBackend& backend) {
  // Backends read the time limit under its one name, also when old code set the former one.
  std::optional<LaunchOptions> renamed;
  if (const auto timeLimit = resolvedTimeLimit(asked.timeLimit, asked.timeout);
      timeLimit != asked.timeLimit) {
    renamed = asked;
    renamed->timeLimit = timeLimit;
  }
  const LaunchOptions& options = renamed ? *renamed : asked;
  std::shared_ptr<RuntimeCore> runtime = runtimeFor(options);
  if (std::optional<Error> refused = runtime->refusal()) {
    return Task<T>(failedState<T>(options, *std::move(refused)));
  }
  auto state = std::make_shared<TaskState<T>>();
  state->runtime = std::move(runtime);
  state->description = options.description;
  state->cleanup = options.cleanup;
  settleIfEndingLost(state);  // before the agent starts: it may lose its ending at once
  state->control->wakeRuntime = [waker = state->runtime->threads().waker()] { waker->wake(); };
  AgentStart start =
      BackendAccess::makeStart(options, state->runtime, state->control, state->outputPath);
  Result<std::unique_ptr<RunningAgent>> started = std::unique_ptr<RunningAgent>();
  const std::string backendOf = "agent type '" + options.agentType + "': its backend ";
  try {
    started = backend.start(start);
    if (started && !*started) started = internalError(backendOf + "started no agent");
  } catch (const std::exception& exception) {
    started = internalError(backendOf + "threw: " + exception.what());
  } catch (...) {
    started = internalError(backendOf + "threw an exception that is not a std::exception");
  }
  if (!started) {
    if (BackendAccess::madeOutputFile(start)) recordStartFailure(start, started.error());
    state->fail(started.error());
    return Task<T>(state);
  }
  RunningAgent& agent = **started;
  // The reason is recorded before the agent hears of it: its ending says why it stopped.
  state->stopAgent = [&agent, control = state->control](EndReason reason) {
    control->recordEnd(reason);
    agent.stop(reason);
  };
  state->agent = std::move(*started);
  // A host's backend's agents are stopped at the runtime's shutdown like the library's own.
  if (!BackendAccess::followedByRuntime(start)) {
    std::weak_ptr<RunningAgent> owner = state->agent;
    state->runtime->backendAgents().track(
        {owner, state->stopAgent, [&agent] { return agent.ended(); }});
  }
  // After the agent is set: the runtime's thread may stop it from the watch.
  watchTask(state, agent.timesItselfOut() ? std::nullopt : options.timeLimit);
  return Task<T>(state);
}

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/agents/detail/task_launch_inl.hpp>
#endif
