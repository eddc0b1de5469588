// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/spawn.hpp: starts an agent process, in a process group of its own (so a
// cancel reaches its children too), stdin from /dev/null, stdout and stderr into one pipe, every
// other descriptor closed, default signal dispositions and an empty signal mask. posix_spawn
// with glibc 2.34 or later, fork and execve before (spawn_inl.hpp); either way a program that
// cannot start (missing, not executable) is an error returned at once, not an exit code.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <sys/types.h>

#include <bgagent/core/detail/unique_fd.hpp>
#include <bgagent/core/error.hpp>
#include <bgagent/core/result.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bgagent::detail {

struct SpawnedProcess {
  pid_t pid = -1;
  UniqueFd output;  // read end of the child's stdout+stderr pipe, O_NONBLOCK | O_CLOEXEC
};

/// How an agent that survives its host starts instead: its stdout and stderr go straight into
/// `outputFile` (a descriptor of its output file, O_APPEND), since no host may be left to relay
/// them; it reads one line from `gate` (its stdin, through /bin/sh) before the program runs,
/// so the host writes the `Agent:` line before any of the agent's own; and it leads a session
/// of its own, out of reach of the host's terminal. No pipe is made (`output` stays empty).
/// The shell stays the program's parent and appends `[EXIT] status=N` when it ends (P27).
struct SurvivorStreams {
  int outputFile = -1;
  int gate = -1;
};

/// The wait status (as waitpid() gives it) that a survivor's `[EXIT] status=N` stands for, as
/// its launching shell ends after writing it: death by signal N - 128 when that signal's
/// default action ends a process, else exit code N (docs/protocol.md P27).
int waitStatusOfExitRecord(int shellStatus) noexcept;

/// `environment` entries are added to (or replace those of) this process's environment, of
/// which the child gets every variable, or only those `inherited` names when it is set.
Result<SpawnedProcess> spawnProcess(
    const std::vector<std::string>& argv, const std::map<std::string, std::string>& environment,
    const std::string& workingDirectory,
    const std::optional<std::vector<std::string>>& inherited = std::nullopt,
    const SurvivorStreams* survivor = nullptr);

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/spawn_inl.hpp>
#endif
