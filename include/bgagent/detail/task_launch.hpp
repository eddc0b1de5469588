// bgagent/detail/task_launch.hpp: the steps every launch shares: a TaskState, an output file
// created and started, a watch that settles the task from that file, and the two kinds of
// agent started on it (a process under the supervisor, a callable on a std::jthread).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/detail/output_directory.hpp>
#include <bgagent/detail/process_supervisor.hpp>
#include <bgagent/detail/task_state.hpp>
#include <bgagent/launch_options.hpp>
#include <bgagent/output_writer.hpp>
#include <bgagent/task.hpp>
#include <bgagent/watcher.hpp>
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

/// A fresh state whose output file exists and holds the START header, or the state already
/// failed (returned with no writer) when the file cannot be made.
template <typename T>
std::pair<std::shared_ptr<TaskState<T>>, std::optional<OutputWriter>> prepareTask(
    const LaunchOptions& options) {
  auto state = std::make_shared<TaskState<T>>();
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
  state->watch = Watcher::shared().watch(
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
    Watcher::shared().cancelWatch(id);
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
    auto state = std::make_shared<TaskState<T>>();
    state->description = options.description;
    state->fail(Error{ErrorCode::InvalidArgument,
                      "SIGCHLD is ignored in this process, so no agent's exit status can reach "
                      "bgagent; restore its default disposition",
                      "",
                      0,
                      0,
                      {}});
    return Task<T>(state);
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
  ProcessSupervisor& supervisor = ProcessSupervisor::shared();
  Result<std::uint64_t> id = supervisor.start(std::move(launch), *writer, state->control);
  if (id) {
    state->stopAgent = [&supervisor, id = *id](EndReason reason) { supervisor.stop(id, reason); };
  } else {
    recordLaunchFailure(*writer, id.error());
    state->fail(id.error());  // the spawn's own error (NotFound for a missing program)
  }
  watchTask(state, std::nullopt);  // after stopAgent is set: the watcher's thread may read it
  return Task<T>(state);
}

template <typename T>
Task<T> startFunctionTask(const LaunchOptions& options, FunctionBody body) {
  auto [state, writer] = prepareTask<T>(options);
  if (!writer) return Task<T>(state);
  settleIfEndingLost(state);
  // The worker owns its writer, body and options, never the state: the state may be destroyed
  // on the watcher's thread, which must not be the one to wait for this thread.
  state->worker = std::jthread([body = std::move(body), writer = std::move(*writer), options,
                                control = state->control](const std::stop_token& stop) mutable {
    std::optional<std::string> error;
    std::optional<nlohmann::json> value;
    try {
      value = body(stop, writer, options);
      const EndReason reason = control->endReason.load(std::memory_order_acquire);
      if (reason == EndReason::TimedOut) {
        error = options.timeout ? "timed out after " + durationText(*options.timeout)
                                : std::string(kEnclosingDeadline);
      } else if (stop.stop_requested()) {
        error = "cancelled by the host";
      }
    } catch (const std::exception& exception) {
      error = std::string("threw: ") + exception.what();
    } catch (...) {
      error = "threw an exception that is not a std::exception";
    }
    // One record, so a reader sees the ending whole.
    Result<void> written = writer.finish(error, value);
    if (!written && control->onEndingLost) control->onEndingLost(written.error());
  });
  state->stopAgent = [stop = state->worker.get_stop_source(),
                      control = state->control](EndReason reason) mutable {
    EndReason expected = EndReason::None;
    control->endReason.compare_exchange_strong(expected, reason);
    stop.request_stop();
  };
  watchTask(state, options.timeout);  // after stopAgent is set: the watcher's thread may read it
  return Task<T>(state);
}

}  // namespace bgagent::detail
