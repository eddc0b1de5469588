// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/spawn_inl.hpp: the bodies of spawn.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/spawn.hpp>
// What the bodies use besides their header:
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <bgagent/core/detail/syscall.hpp>
#include <bgagent/core/detail/system_message.hpp>
#include <cerrno>
#include <string_view>
#include <utility>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace bgagent::detail {

BGAGENT_INLINE Result<SpawnedProcess> spawnProcess(
    const std::vector<std::string>& argv, const std::map<std::string, std::string>& environment,
    const std::string& workingDirectory) {
  if (argv.empty() || argv.front().empty()) {
    return Error::of(ErrorCode::InvalidArgument, "cannot start an agent without a program");
  }
  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0) {
    return Error{ErrorCode::Io, "cannot create a pipe for '" + argv.front() + "'", "", 0, errno};
  }
  UniqueFd readEnd(pipeFds[0]);
  UniqueFd writeEnd(pipeFds[1]);
  ::fcntl(readEnd.get(), F_SETFL, O_NONBLOCK);

  std::vector<std::string> environmentText;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string text(*entry);
    if (!environment.contains(text.substr(0, text.find('=')))) environmentText.push_back(text);
  }
  for (const auto& [name, value] : environment) environmentText.push_back(name + '=' + value);
  std::vector<char*> environmentPointers;
  for (std::string& text : environmentText) environmentPointers.push_back(text.data());
  environmentPointers.push_back(nullptr);
  std::vector<std::string> arguments = argv;
  std::vector<char*> argumentPointers;
  for (std::string& argument : arguments) argumentPointers.push_back(argument.data());
  argumentPointers.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, writeEnd.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, writeEnd.get(), STDERR_FILENO);
  // Descriptors the host opened without O_CLOEXEC must not leak into agents either.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  if (!workingDirectory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, workingDirectory.c_str());
  }
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t noSignals;
  sigemptyset(&noSignals);
  sigset_t allSignals;
  sigfillset(&allSignals);
  posix_spawnattr_setsigmask(&attributes, &noSignals);
  posix_spawnattr_setsigdefault(&attributes, &allSignals);
  posix_spawnattr_setpgroup(&attributes, 0);  // its own group, led by itself
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  // A bare program name is searched in the agent's PATH when the options set one, else in the
  // host's (posix_spawnp). A relative path with a '/' is relative to the working directory.
  std::string program = argv.front();
  if (const auto path = environment.find("PATH");
      path != environment.end() && program.find('/') == std::string::npos) {
    std::string_view directories = path->second;
    while (true) {
      const std::size_t colon = directories.find(':');
      std::string candidate(directories.substr(0, colon));
      candidate = (candidate.empty() ? std::string(".") : candidate) + "/" + argv.front();
      if (::access(candidate.c_str(), X_OK) == 0) {
        program = candidate;
        break;
      }
      if (colon == std::string_view::npos) break;
      directories.remove_prefix(colon + 1);
    }
  }
  SpawnedProcess process;
  const int status = ::posix_spawnp(&process.pid, program.c_str(), &actions, &attributes,
                                    argumentPointers.data(), environmentPointers.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (status != 0) {
    const ErrorCode code = status == ENOENT ? ErrorCode::NotFound : ErrorCode::Io;
    std::string message = "cannot start '" + argv.front() + "'";
    if (!workingDirectory.empty() && status == ENOENT) message += " in '" + workingDirectory + "'";
    return Error{code, message + ": " + systemMessage(status), "", 0, status};
  }
  process.output = std::move(readEnd);
  return process;
}

}  // namespace bgagent::detail
