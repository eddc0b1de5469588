// SPDX-License-Identifier: MIT
// bgagent/agents/agent_backend.hpp: where an agent runs, as one small interface.
//
// Owns: AgentBackend (how agents of a registered type start), RunningAgent (one started agent,
// as its task sees it), AgentStart (what a backend is given) and AgentLink (what a backend tells
// its task that the file cannot).
// The output file is the contract: a backend starts something that appends the protocol to the
// file AgentStart makes (a process whose stdout is relayed, a thread holding the writer, a job
// on a cluster writing to a shared disk), and writes the ending itself when the agent could not
// (killed, lost, timed out). The runtime's watch settles the task from that file alone, so the
// loop, the task state and the combinators stay the same whatever runs the agent. The built-in
// backends are CommandBackend (process_backend.hpp) and FunctionBackend (function_backend.hpp);
// AgentRegistry maps type names to backends.
// Thread safety: start() may be called from several launching threads at once. A RunningAgent's
// stop() and ended() may be called from any thread, the runtime's included, and must not block;
// join() and detach() come once, from the task's owner, after which stop() may still come.
// Lifetime: the task holds its RunningAgent until the task's state goes, possibly on the
// runtime's thread, after join() or detach(): its destructor must not wait for the agent's work
// there (joining a thread that has written the ending and is only returning is fine). A
// RunningAgent must not hold its task.
// Errors: an error from start() settles the task Failed with it, and is written to the output
// file's ending if the file was made; an exception from start() is turned into such an error.
// Example:
//   class Replay final : public bgagent::AgentBackend {  // writes a canned answer at once
//     bgagent::Result<std::unique_ptr<bgagent::RunningAgent>> start(
//         bgagent::AgentStart& start) const override;
//   };
//   registry.addBackend("Replay", std::make_shared<Replay>());
#pragma once

#include <bgagent/agents/launch_options.hpp>
#include <bgagent/core/error.hpp>
#include <bgagent/core/result.hpp>
#include <bgagent/core/stop_reason.hpp>
#include <bgagent/protocol/output_writer.hpp>
#include <bgagent/runtime/detail/agent_control.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <utility>

namespace bgagent {

namespace detail {
class RuntimeCore;
struct BackendAccess;
}  // namespace detail

/// What a backend keeps to tell the task what only it knows. Copyable; any thread.
class AgentLink {
 public:
  /// Why the host asked the agent to stop (None if it has not): what its ending should say.
  StopReason stopReason() const noexcept {
    return control_->endReason.load(std::memory_order_acquire);
  }

  /// Records why the agent is being stopped unless an earlier reason was; the reason that stands.
  StopReason recordStop(StopReason reason) const noexcept { return control_->recordEnd(reason); }

  /// Call just before writing the agent's ending: the stop reason recorded so far, which the
  /// ending should state. When it is None the ending is the agent's own verdict, and a stop
  /// asked from now on is not recorded, so it cannot turn a failure the agent reported into a
  /// cancellation. A backend that does not call it lets a late stop relabel the failure.
  StopReason claimEnding() const noexcept { return control_->claimEnding(); }

  /// Tells the runtime the agent has ended (RunningAgent::ended() is true from now on), after
  /// its ending was written: a shutdown waiting for it goes on at once rather than at its bound.
  void agentEnded() const;

  /// The ending cannot be written to the output file (a full disk): the task settles Failed
  /// with `error` rather than wait for an ending that will never come. Call it at most once.
  void endingLost(const Error& error) const;

 private:
  friend class AgentStart;
  explicit AgentLink(std::shared_ptr<detail::AgentControl> control)
      : control_(std::move(control)) {}
  std::shared_ptr<detail::AgentControl> control_;
};

/// One started agent, as its task sees it.
class RunningAgent {
 public:
  RunningAgent() = default;
  RunningAgent(const RunningAgent&) = delete;
  RunningAgent& operator=(const RunningAgent&) = delete;
  RunningAgent(RunningAgent&&) = delete;
  RunningAgent& operator=(RunningAgent&&) = delete;
  virtual ~RunningAgent() = default;

  /// Asks the agent to end for `reason` and returns at once. It may come several times and
  /// after the agent ended (then it does nothing); the ending still arrives through the file,
  /// which should say why: the reason is recorded before this is called, so
  /// AgentLink::stopReason() gives it (the first one asked).
  virtual void stop(StopReason reason) = 0;

  /// True once the agent is known to have ended with its ending in the file: stopping it has
  /// nothing left to do.
  virtual bool ended() const noexcept = 0;

  /// True when the agent enforces LaunchOptions::timeLimit itself (its file then says it timed
  /// out); otherwise the task's watch times it out and stops it with StopReason::TimedOut.
  virtual bool timesItselfOut() const noexcept { return false; }

  /// The task's handle goes away, after stop() was asked if the task had not settled: waits
  /// for what the agent runs inside this process (an in-process agent's thread) to end, as
  /// bounded as the agent's reaction to stop().
  virtual void join() {}

  /// The task's handle lets the agent run on without it (Task::detach): whatever it runs in
  /// this process must end, and be joined, without the handle.
  virtual void detach() {}
};

/// What a backend is given to start one agent.
class AgentStart {
 public:
  AgentStart(const AgentStart&) = delete;
  AgentStart& operator=(const AgentStart&) = delete;
  AgentStart(AgentStart&&) = delete;
  AgentStart& operator=(AgentStart&&) = delete;
  ~AgentStart() = default;

  /// The launch's options; a time limit set through the former name reads as timeLimit here.
  const LaunchOptions& options() const noexcept { return options_; }

  /// Makes the agent's output file, in options().outputDirectory or else this process's own
  /// directory, with its START header. Make it once the options are known to be good: a
  /// launch refused before leaves no file. Errors: the file's (NotFound, InvalidArgument, Io).
  Result<void> createOutputFile();

  /// The output file's writer, once made: the backend moves it to whatever writes the agent's
  /// output, or leaves it here if the agent writes the file by other means.
  OutputWriter& writer();

  /// The output file's path once createOutputFile() has made it; empty before.
  const std::filesystem::path& outputPath() const noexcept { return outputPath_; }

  /// The task's side of the agent's ending, for the backend to keep.
  AgentLink link() const { return AgentLink(control_); }

 private:
  static constexpr int kNameTries = 1000;

  friend struct detail::BackendAccess;
  AgentStart(const LaunchOptions& options, std::shared_ptr<detail::RuntimeCore> runtime,
             std::shared_ptr<detail::AgentControl> control, std::filesystem::path& outputPath)
      : options_(options),
        runtime_(std::move(runtime)),
        control_(std::move(control)),
        outputPath_(outputPath) {}

  const LaunchOptions& options_;
  std::shared_ptr<detail::RuntimeCore> runtime_;
  std::shared_ptr<detail::AgentControl> control_;
  std::filesystem::path& outputPath_;  // the task's: set before the agent can end
  std::optional<OutputWriter> writer_;
  bool followedByRuntime_ = false;
};

/// How agents of one registered type start. Implementations are immutable once registered.
class AgentBackend {
 public:
  AgentBackend() = default;
  AgentBackend(const AgentBackend&) = delete;
  AgentBackend& operator=(const AgentBackend&) = delete;
  AgentBackend(AgentBackend&&) = delete;
  AgentBackend& operator=(AgentBackend&&) = delete;
  virtual ~AgentBackend() = default;

  /// Starts one agent for `start.options()`, writing to the file start.createOutputFile()
  /// makes, and returns it; or the reason it cannot start.
  virtual Result<std::unique_ptr<RunningAgent>> start(AgentStart& start) const = 0;
};

namespace detail {
/// What the library's own backends and launch need of AgentStart beyond its public face.
struct BackendAccess {
  static AgentStart makeStart(const LaunchOptions& options, std::shared_ptr<RuntimeCore> runtime,
                              std::shared_ptr<AgentControl> control,
                              std::filesystem::path& outputPath) {
    return AgentStart(options, std::move(runtime), std::move(control), outputPath);
  }
  static RuntimeCore& runtime(const AgentStart& start) noexcept { return *start.runtime_; }
  static const std::shared_ptr<AgentControl>& control(const AgentStart& start) noexcept {
    return start.control_;
  }
  static bool madeOutputFile(const AgentStart& start) noexcept { return start.writer_.has_value(); }
  /// Said by the library's own backends: a part of the runtime follows the agent (and stops it
  /// at shutdown) already.
  static void markFollowedByRuntime(AgentStart& start) noexcept { start.followedByRuntime_ = true; }
  static bool followedByRuntime(const AgentStart& start) noexcept {
    return start.followedByRuntime_;
  }
};
}  // namespace detail

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/agents/agent_backend_inl.hpp>
#endif
