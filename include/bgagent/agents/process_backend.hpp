// SPDX-License-Identifier: MIT
// bgagent/agents/process_backend.hpp: CommandBackend, agents that are processes on this machine.
//
// Owns: CommandBuilder and CommandBackend. Each agent is a process started from the argv the
// builder makes of the LaunchOptions (never through a shell unless the argv names one), in a
// process group of its own. The runtime's process part relays its stdout and stderr into the
// output file (a child may write PROGRESS, RESULT and ERROR lines, never START or COMPLETE),
// enforces LaunchOptions::timeLimit, runs the kill sequence on stop (SIGTERM to the group, the
// grace period, SIGKILL), reaps it, and writes the ending with its exit status or signal. Its
// environment is the host's (or the variables LaunchOptions::inheritEnvironment names) plus
// LaunchOptions::environment.
// Thread safety: start() from any thread; the builder is called on the launching thread.
// Errors: the builder's error, and InvalidArgument for a NUL byte in an argument, an environment
// value or the working directory (a C string would end there: the command would run cut short),
// or an environment name that is empty or holds '=' (the launch then leaves no file);
// InvalidArgument when SIGCHLD is ignored in this process (no exit status could reach bgagent);
// the spawn's error (NotFound for a missing program), which the file records too.
// Example:
//   registry.addBackend("Tests", std::make_shared<bgagent::CommandBackend>(
//       [](const bgagent::LaunchOptions& options) -> bgagent::Result<std::vector<std::string>> {
//         return std::vector<std::string>{"ctest", "-R", options.prompt};
//       }));
#pragma once

#include <bgagent/agents/agent_backend.hpp>
#include <bgagent/runtime/detail/runtime_core.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bgagent {

/// Builds a process agent's argv from the options (or an InvalidArgument error).
using CommandBuilder = std::function<Result<std::vector<std::string>>(const LaunchOptions&)>;

namespace detail {

/// The InvalidArgument error of a command that cannot run as asked: a NUL byte in an argument
/// (the prompt), an environment value or the working directory; an environment name that is
/// empty or holds '='.
std::optional<Error> unstartableText(const std::vector<std::string>& argv,
                                     const LaunchOptions& options);

/// True when this process lets the kernel reap children itself: no exit status would reach us.
bool childExitStatusIsLost();

/// One process agent, as the runtime's process part supervises it.
class ProcessAgent final : public RunningAgent {
 public:
  ProcessAgent(ProcessSupervisor& supervisor, std::uint64_t id,
               std::shared_ptr<const AgentControl> control)
      : supervisor_(supervisor), id_(id), control_(std::move(control)) {}

  void stop(StopReason reason) override { supervisor_.stop(id_, reason); }
  bool ended() const noexcept override { return control_->reaped.load(std::memory_order_acquire); }
  bool timesItselfOut() const noexcept override { return true; }

 private:
  ProcessSupervisor& supervisor_;  // outlives this: the task's state holds its runtime longer
  std::uint64_t id_;
  std::shared_ptr<const AgentControl> control_;
};

}  // namespace detail

/// Runs each agent as a process on this machine, from the argv its CommandBuilder makes; the
/// backend of the built-in "Bash" and "Process" types and of AgentRegistry::add() and
/// addCommand(). The process's stdout and stderr are free output in the file, not its result:
/// a process that writes no RESULT line of its own gets one when it ends:
/// `{"success":true,"exitCode":0}` when it exits with 0 and was not stopped; otherwise
/// `"success":false` with its `exitCode` or `signal` and its last lines (`lastOutput`).
class CommandBackend final : public AgentBackend {
 public:
  /// A backend whose agents run the argv `build` makes of their LaunchOptions.
  explicit CommandBackend(CommandBuilder build) : build_(std::move(build)) {}

  Result<std::unique_ptr<RunningAgent>> start(AgentStart& start) const override;

 private:
  CommandBuilder build_;
};

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/agents/process_backend_inl.hpp>
#endif
