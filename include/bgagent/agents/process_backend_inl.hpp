// SPDX-License-Identifier: MIT
// bgagent/agents/process_backend_inl.hpp: the bodies of process_backend.hpp's functions
// (inline, or built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/agents/process_backend.hpp>
// What the bodies use besides their header:
#include <signal.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bgagent {

namespace detail {

BGAGENT_INLINE bool childExitStatusIsLost() {
  struct sigaction current {};
  if (::sigaction(SIGCHLD, nullptr, &current) != 0) return false;
  return current.sa_handler == SIG_IGN || (current.sa_flags & SA_NOCLDWAIT) != 0;
}

}  // namespace detail

BGAGENT_INLINE Result<std::unique_ptr<RunningAgent>> CommandBackend::start(
    AgentStart& start) const {
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

}  // namespace bgagent
