// SPDX-License-Identifier: MIT
// bgagent/agents/agent_registry.hpp: agent types by name, and launch() (with the steps every
// launch shares, whatever its backend).
//
// Owns: AgentRegistry, the seed's `subagent_type`: a name ("Bash", "Process", "Explore", ...)
// mapped to the backend that starts agents of that type (agent_backend.hpp): a command line
// built from the LaunchOptions (CommandBackend), an in-process function (FunctionBackend), or a
// backend of the host's own. launch() starts one in the background and returns its Task at once.
// Built-in types: "Bash" runs the prompt with /bin/sh -c (the only type whose strings reach a
// shell, since running a shell command is what it is for); "Process" runs `arguments` with no
// shell. A launch that cannot start (an unknown type, an output directory that cannot be
// written, a missing program) returns a Task already settled Failed with that error.
// Thread safety: add/launch may be called from any thread.
// Example:
//   auto& registry = bgagent::AgentRegistry::defaultRegistry();
//   registry.addCommand("Explore", {"explore-agent", "--json", "{prompt}"});
//   auto task = bgagent::launch({.description = "map the repo", .prompt = "list modules",
//                                .agentType = "Explore"});
#pragma once

#include <bgagent/agents/agent_backend.hpp>
#include <bgagent/agents/detail/task_state.hpp>
#include <bgagent/agents/function_backend.hpp>
#include <bgagent/agents/launch_options.hpp>
#include <bgagent/agents/process_backend.hpp>
#include <bgagent/agents/task.hpp>
#include <bgagent/core/result.hpp>
#include <bgagent/runtime/detail/runtime_core.hpp>
#include <bgagent/runtime/runtime.hpp>
#include <bgagent/runtime/watch_handle.hpp>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// The steps every launch shares, whatever backend runs the agent: a TaskState bound to a
// runtime, the backend's start (which makes the output file), and the watch that settles the
// task from that file.
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
/// `writerPid`: WaitOptions::writerPid (this process's pid: no process is followed, since this
/// host writes the ending, as for an agent re-attached from an earlier host).
template <typename T>
void watchTask(const std::shared_ptr<TaskState<T>>& state,
               std::optional<SteadyClock::duration> timeLimit, std::int64_t writerPid = 0) {
  WaitOptions waitOptions;
  waitOptions.timeout = timeLimit;
  waitOptions.writerPid = writerPid;
  waitOptions.onUpdate = [state](const OutputSnapshot& snapshot) { state->update(snapshot); };
  FileWatches& watches = state->runtime->watches();
  const std::uint64_t id =
      watches.watch(state->outputPath, std::move(waitOptions), [state](WaitOutcome outcome) {
        state->watchSettled.store(true, std::memory_order_release);
        state->settle(std::move(outcome));
      });
  if (id != 0) state->watch = WatchHandle(&watches, id);  // 0: settled at once
  state->watchId.store(id, std::memory_order_release);
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

namespace bgagent {

/// Agent types by name, each run by a backend; launch() starts one. Built in: "Bash" (the
/// prompt through /bin/sh -c) and "Process" (`arguments`, no shell), both CommandBackend
/// types: their stdout is free output, not the result, and a process that exits with 0 without
/// writing a RESULT of its own has the RESULT `{"success":true,"exitCode":0}`. Every member may
/// be called from any thread.
class AgentRegistry {
 public:
  /// A registry with the built-in "Bash" and "Process" types.
  AgentRegistry();

  /// Registers (or replaces) an agent type run by `backend` (agent_backend.hpp).
  void addBackend(const std::string& name, std::shared_ptr<const AgentBackend> backend);

  /// Registers (or replaces) a process agent type (a CommandBackend).
  void add(const std::string& name, CommandBuilder build);

  /// Registers (or replaces) an in-process agent type (a FunctionBackend).
  void addFunction(const std::string& name, FunctionBody body);

  /// Registers a command-line type: `command` with "{prompt}" in any argument replaced by the
  /// prompt (passed as an argument, never through a shell), or the prompt appended when no
  /// argument names it.
  void addCommand(const std::string& name, std::vector<std::string> command);

  /// Whether an agent type called `name` is registered.
  bool contains(const std::string& name) const;

  /// Starts an agent of `options.agentType` in the background.
  template <typename T = nlohmann::json>
  Task<T> launch(const LaunchOptions& options) const {
    std::shared_ptr<const AgentBackend> backend;
    std::string registered;  // the names, for an error that says what would have worked
    {
      std::lock_guard lock(mutex_);
      if (const auto found = types_.find(options.agentType); found != types_.end()) {
        backend = found->second;
      } else {
        for (const auto& [name, type] : types_) {
          registered += (registered.empty() ? "'" : ", '") + name + "'";
        }
      }
    }
    if (!backend) {
      return Task<T>(detail::failedState<T>(
          options, Error::of(ErrorCode::NotFound,
                             "agent type '" + options.agentType + "' is not registered (" +
                                 (registered.empty() ? std::string("no type is registered")
                                                     : "registered: " + registered) +
                                 ")")));
    }
    return detail::startTask<T>(options, *backend);
  }

  /// The registry launch() uses.
  static AgentRegistry& defaultRegistry();

 private:
  static Error invalid(std::string message);

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const AgentBackend>> types_;  // guarded by mutex_
};

/// Starts an agent with the default registry (the seed's Task({... run_in_background: true})).
template <typename T = nlohmann::json>
Task<T> launch(const LaunchOptions& options) {
  return AgentRegistry::defaultRegistry().launch<T>(options);
}

/// Starts `body(stop_token, OutputWriter&)` on a std::jthread as an agent; its return value
/// (converted with to_json; void becomes {"success": true}) is the RESULT, an exception the
/// ERROR. The body should check the token regularly: cancel and timeouts request it.
template <typename Body>
auto runInThread(const LaunchOptions& options, Body body) {
  using Value = std::invoke_result_t<Body&, std::stop_token, OutputWriter&>;
  using T = std::conditional_t<std::is_void_v<Value>, nlohmann::json, Value>;
  FunctionBody wrapped = [body = std::move(body)](std::stop_token stop, OutputWriter& writer,
                                                  const LaunchOptions&) mutable -> nlohmann::json {
    if constexpr (std::is_void_v<Value>) {
      body(std::move(stop), writer);
      return {{"success", true}};
    } else {
      return nlohmann::json(body(std::move(stop), writer));
    }
  };
  return detail::startTask<T>(options, FunctionBackend(std::move(wrapped)));
}

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/agents/agent_registry_inl.hpp>
#endif
