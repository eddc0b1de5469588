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
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bgagent {

namespace detail {

// A C string ends at its first NUL, so the kernel would run a command cut short there, or set
// another variable than the one asked for: what the host asked for cannot be started as asked.
BGAGENT_INLINE std::optional<Error> unstartableText(const std::vector<std::string>& argv,
                                                    const LaunchOptions& options) {
  const auto invalid = [](const std::string& what) {
    return Error::of(ErrorCode::InvalidArgument,
                     what + "; a process sees no byte after a NUL, so it is not started");
  };
  const auto nulIn = [](const std::string& text) {
    const std::size_t at = text.find('\0');
    return at == std::string::npos ? std::string()
                                   : " contains a NUL byte at offset " + std::to_string(at);
  };
  for (std::size_t index = 0; index < argv.size(); ++index) {
    if (const std::string nul = nulIn(argv[index]); !nul.empty()) {
      // The prompt is where a command's text usually comes from: say so when it is the cause.
      const bool fromPrompt = options.prompt.find('\0') != std::string::npos &&
                              argv[index].find(options.prompt) != std::string::npos;
      return invalid((fromPrompt ? "the prompt" + nulIn(options.prompt)
                                 : "argument " + std::to_string(index) + nul));
    }
  }
  for (const auto& [name, value] : options.environment) {
    if (name.empty() || name.find('=') != std::string::npos || !nulIn(name).empty()) {
      return Error::of(ErrorCode::InvalidArgument,
                       "environment variable name '" + name.substr(0, name.find('\0')) +
                           "' is not a name (empty, or with '=' or a NUL byte)");
    }
    if (const std::string nul = nulIn(value); !nul.empty()) {
      return invalid("the value of environment variable '" + name + "'" + nul);
    }
  }
  if (const std::string nul = nulIn(options.workingDirectory.native()); !nul.empty()) {
    return invalid("the working directory" + nul);
  }
  return std::nullopt;
}

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
  if (std::optional<Error> refused = detail::unstartableText(*argv, start.options())) {
    return *std::move(refused);
  }
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
  launch.inheritEnvironment = options.inheritEnvironment;
  launch.workingDirectory = options.workingDirectory.string();
  launch.timeLimit = options.timeLimit;
  launch.gracePeriod = options.gracePeriod;
  launch.maxOutputBytes = options.maxOutputBytes;
  launch.survivesHost = options.survivesHost;
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
