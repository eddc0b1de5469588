// SPDX-License-Identifier: MIT
// bgagent/agents/process_backend.hpp: CommandBackend, agents that are processes on this machine.
//
// Owns: CommandBuilder and CommandBackend. Each agent is a process started from the argv the
// builder makes of the LaunchOptions (never through a shell unless the argv names one), in a
// process group of its own. The runtime's process part relays its stdout and stderr into the
// output file (a child may write PROGRESS, RESULT and ERROR lines, never START or COMPLETE),
// enforces LaunchOptions::timeLimit, runs the kill sequence on stop (SIGTERM to the group, the
// grace period, SIGKILL), reaps it, and writes the ending with its exit status or signal.
// Thread safety: start() from any thread; the builder is called on the launching thread.
// Errors: the builder's error (the launch then leaves no file); InvalidArgument when SIGCHLD is
// ignored in this process (no exit status could reach bgagent); the spawn's error (NotFound for
// a missing program), which the file records too.
// Example:
//   registry.addBackend("Tests", std::make_shared<bgagent::CommandBackend>(
//       [](const bgagent::LaunchOptions& options) -> bgagent::Result<std::vector<std::string>> {
//         return std::vector<std::string>{"ctest", "-R", options.prompt};
//       }));
#pragma once

#include <signal.h>

#include <bgagent/agents/agent_backend.hpp>
#include <bgagent/runtime/detail/runtime_core.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bgagent {

/// Builds a process agent's argv from the options (or an InvalidArgument error).
using CommandBuilder = std::function<Result<std::vector<std::string>>(const LaunchOptions&)>;

namespace detail {

/// True when this process lets the kernel reap children itself: no exit status would reach us.
inline bool childExitStatusIsLost() {
  struct sigaction current {};
  if (::sigaction(SIGCHLD, nullptr, &current) != 0) return false;
  return current.sa_handler == SIG_IGN || (current.sa_flags & SA_NOCLDWAIT) != 0;
}

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

class CommandBackend final : public AgentBackend {
 public:
  explicit CommandBackend(CommandBuilder build) : build_(std::move(build)) {}

  Result<std::unique_ptr<RunningAgent>> start(AgentStart& start) const override {
    Result<std::vector<std::string>> argv = build_(start.options());
    if (!argv) return argv.error();
    if (detail::childExitStatusIsLost()) {
      return Error::of(ErrorCode::InvalidArgument,
                       "SIGCHLD is ignored in this process, so no agent's exit status can reach "
                       "bgagent; restore its default disposition");
    }
    if (Result<void> made = start.createOutputFile(); !made) return made.error();
    detail::BackendAccess::markFollowedByRuntime(start);  // the runtime follows it already
    const LaunchOptions& options = start.options();
    detail::ProcessLaunch launch;
    launch.argv = std::move(*argv);
    launch.environment = options.environment;
    launch.workingDirectory = options.workingDirectory.string();
    launch.timeLimit = options.timeLimit;
    launch.gracePeriod = options.gracePeriod;
    launch.maxOutputBytes = options.maxOutputBytes;
    detail::ProcessSupervisor& supervisor = detail::BackendAccess::runtime(start).processes();
    const std::shared_ptr<detail::AgentControl>& control = detail::BackendAccess::control(start);
    // Takes the writer over on success; on an error it stays in `start` to record the error.
    Result<std::uint64_t> id = supervisor.start(std::move(launch), start.writer(), control);
    if (!id) return id.error();  // the spawn's own error (NotFound for a missing program)
    std::unique_ptr<RunningAgent> agent =
        std::make_unique<detail::ProcessAgent>(supervisor, *id, control);
    return agent;
  }

 private:
  CommandBuilder build_;
};

}  // namespace bgagent
