// bgagent/detail/task_launch.hpp: the steps every launch shares: a TaskState bound to a
// runtime, an output file created and started, a watch that settles the task from that file,
// and the two kinds of agent started on it (a process under the runtime's process part, a
// callable on a std::jthread the runtime follows).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/detail/default_runtime.hpp>
#include <bgagent/detail/output_directory.hpp>
#include <bgagent/detail/task_state.hpp>
#include <bgagent/launch_options.hpp>
#include <bgagent/output_writer.hpp>
#include <bgagent/runtime.hpp>
#include <bgagent/task.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

namespace bgagent::detail {

/// An in-process agent's body, as registered by name.
using FunctionBody =
    std::function<nlohmann::json(std::stop_token, OutputWriter&, const LaunchOptions&)>;

/// The runtime a launch with `options` runs on: the one it names, or the default.
inline std::shared_ptr<RuntimeCore> runtimeFor(const LaunchOptions& options) {
  return options.runtime != nullptr ? options.runtime->core() : DefaultRuntime::get();
}

/// A state that failed before any agent ran, with `error`.
template <typename T>
std::shared_ptr<TaskState<T>> failedState(const LaunchOptions& options, Error error) {
  auto state = std::make_shared<TaskState<T>>();
  state->description = options.description;
  state->fail(std::move(error));
  return state;
}

/// A fresh state whose output file exists and holds the START header, or the state already
/// failed (returned with no writer) when the file cannot be made or the runtime has shut down.
template <typename T>
std::pair<std::shared_ptr<TaskState<T>>, std::optional<OutputWriter>> prepareTask(
    const LaunchOptions& options) {
  std::shared_ptr<RuntimeCore> runtime = runtimeFor(options);
  if (std::optional<Error> refused = runtime->refusal()) {
    return {failedState<T>(options, *std::move(refused)), std::nullopt};
  }
  auto state = std::make_shared<TaskState<T>>();
  state->runtime = std::move(runtime);
  state->description = options.description;
  state->cleanup = options.cleanup;
  Result<std::filesystem::path> directory =
      options.outputDirectory.empty() ? defaultOutputDirectory()
                                      : Result<std::filesystem::path>(options.outputDirectory);
  if (!directory) {
    state->fail(directory.error());
    return {state, std::nullopt};
  }
  state->outputPath = outputFileName(*directory, options.description);
  Result<OutputWriter> writer =
      OutputWriter::open(state->outputPath, WriterOptions{OpenMode::CreateNew, options.fsync});
  if (writer) {
    if (Result<void> started = writer->start(options.description); !started)
      writer = started.error();
  }
  if (!writer) {
    state->fail(writer.error());
    return {state, std::nullopt};
  }
  return {state, std::move(*writer)};
}

/// The watch that settles `state` from its output file, with an optional timeout (in-process
/// agents; the supervisor times processes out itself).
template <typename T>
void watchTask(const std::shared_ptr<TaskState<T>>& state,
               std::optional<SteadyClock::duration> timeout) {
  WaitOptions waitOptions;
  waitOptions.timeout = timeout;
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

/// Records a failure to start in the file itself, so the watch settles the task with it.
inline void recordLaunchFailure(OutputWriter& writer, const Error& error) {
  (void)writer.finish(error.message, nlohmann::json{{"success", false}, {"error", error.message}});
}

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

/// True when this process lets the kernel reap children itself: no exit status would reach us.
inline bool childExitStatusIsLost() {
  struct sigaction current {};
  if (::sigaction(SIGCHLD, nullptr, &current) != 0) return false;
  return current.sa_handler == SIG_IGN || (current.sa_flags & SA_NOCLDWAIT) != 0;
}

template <typename T>
Task<T> startProcessTask(const LaunchOptions& options, std::vector<std::string> argv) {
  if (childExitStatusIsLost()) {
    return Task<T>(failedState<T>(
        options, Error{ErrorCode::InvalidArgument,
                       "SIGCHLD is ignored in this process, so no agent's exit status can reach "
                       "bgagent; restore its default disposition",
                       "",
                       0,
                       0,
                       {}}));
  }
  auto [state, writer] = prepareTask<T>(options);
  if (!writer) return Task<T>(state);
  settleIfEndingLost(state);
  ProcessLaunch launch;
  launch.argv = std::move(argv);
  launch.environment = options.environment;
  launch.workingDirectory = options.workingDirectory.string();
  launch.timeout = options.timeout;
  launch.gracePeriod = options.gracePeriod;
  launch.maxOutputBytes = options.maxOutputBytes;
  ProcessSupervisor& supervisor = state->runtime->processes();
  Result<std::uint64_t> id = supervisor.start(std::move(launch), *writer, state->control);
  if (id) {
    // The state keeps the runtime, and so the supervisor, alive as long as this can be called.
    state->stopAgent = [&supervisor, id = *id](EndReason reason) { supervisor.stop(id, reason); };
  } else {
    recordLaunchFailure(*writer, id.error());
    state->fail(id.error());  // the spawn's own error (NotFound for a missing program)
  }
  watchTask(state, std::nullopt);  // after stopAgent is set: the runtime's thread may read it
  return Task<T>(state);
}

/// How an in-process agent's file records why its stop token was requested.
inline std::optional<std::string> stopText(EndReason reason, const LaunchOptions& options,
                                           bool stopRequested) {
  switch (reason) {
    case EndReason::TimedOut:
      return options.timeout ? "timed out after " + durationText(*options.timeout)
                             : std::string(kEnclosingDeadline);
    case EndReason::HostShutdown:
      return std::string(kHostShutDown);
    default:
      if (stopRequested) return std::string("cancelled by the host");
      return std::nullopt;
  }
}

template <typename T>
Task<T> startFunctionTask(const LaunchOptions& options, FunctionBody body) {
  auto [state, writer] = prepareTask<T>(options);
  if (!writer) return Task<T>(state);
  settleIfEndingLost(state);
  auto record = std::make_shared<WorkerRecord>();
  record->waker = state->runtime->threads().waker();
  // The worker owns its writer, body and options, never the state nor the runtime: the state
  // may be destroyed on the runtime's thread, which must not be the one to wait for this
  // thread, and the runtime must never be destroyed (its thread joined) from this one.
  state->worker =
      std::jthread([body = std::move(body), writer = std::move(*writer), options,
                    control = state->control, record](const std::stop_token& stop) mutable {
        WorkerThreads::markAgentThread(record->waker.get());
        std::optional<std::string> error;
        std::optional<nlohmann::json> value;
        {
          // The body and what it owns end here, before the thread says it has finished.
          FunctionBody work = std::move(body);
          try {
            value = work(stop, writer, options);
            error = stopText(control->endReason.load(std::memory_order_acquire), options,
                             stop.stop_requested());
          } catch (const std::exception& exception) {
            error = std::string("threw: ") + exception.what();
          } catch (...) {
            error = "threw an exception that is not a std::exception";
          }
        }
        // One record, so a reader sees the ending whole.
        Result<void> written = writer.finish(error, value);
        if (!written && control->onEndingLost) control->onEndingLost(written.error());
        WorkerThreads::markAgentThread(nullptr);
        WorkerThreads::finished(*record);
      });
  state->stopAgent = [stop = state->worker.get_stop_source(),
                      control = state->control](EndReason reason) mutable {
    control->recordEnd(reason);
    stop.request_stop();
  };
  record->stop = state->stopAgent;
  state->workerRecord = record;
  state->runtime->threads().track(record);
  watchTask(state, options.timeout);  // after stopAgent is set: the runtime's thread may read it
  return Task<T>(state);
}

}  // namespace bgagent::detail
