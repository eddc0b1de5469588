// SPDX-License-Identifier: MIT
// bgagent/agents/launch_options.hpp: what a host asks for when it starts an agent, in the seed's
// words (description, prompt, agent type), plus the limits a serious host needs.
// Thread safety: a value type.
#pragma once

#include <bgagent/core/cleanup_policy.hpp>
#include <bgagent/core/clock.hpp>
#include <bgagent/core/detail/renamed_time_limit.hpp>
#include <bgagent/core/fsync_policy.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bgagent {

class Runtime;

/// What a host asks for when it starts an agent: the seed's description, prompt and agent type,
/// and the limits around them. Written with designated initialisers, every field defaulted:
/// `launch({.description = "tests", .prompt = "make test", .timeLimit = 10min})`.
struct LaunchOptions {
  std::string description{};             ///< shown in the `Task:` line, messages and dashboards
  std::string prompt{};                  ///< "Bash": the shell command; a user type: its input
  std::string agentType = "Bash";        ///< a name registered in the AgentRegistry
  std::vector<std::string> arguments{};  ///< "Process": program and arguments, no shell
  /// How long the agent may run; then the kill sequence, and the task is TimedOut. (A timeout
  /// only bounds a wait: Task::waitFor, WaitOptions::timeout.)
  std::optional<SteadyClock::duration> timeLimit{};
  /// The former name of timeLimit: setting it still works, with a warning, for one release.
  detail::RenamedTimeLimit<SteadyClock::duration> timeout{};
  /// Where the output file goes; empty: a directory of this process's own under $TMPDIR.
  std::filesystem::path outputDirectory{};
  /// By default a succeeded agent's file goes once its task settles, and a failed one's stays
  /// for whoever reads the error (which names it); Keep keeps both.
  CleanupPolicy cleanup = CleanupPolicy::DeleteOnSuccess;
  std::map<std::string, std::string> environment{};  ///< added to the host's environment
  /// Which of the host's environment variables a process agent inherits, by name; unset (the
  /// default): all of them. `{"PATH", "HOME", "LANG"}` keeps the host's tokens and keys away
  /// from the agent; an empty list gives it only `environment`, which is added either way. (A
  /// bare program name is still found through the host's PATH.)
  std::optional<std::vector<std::string>> inheritEnvironment{};
  std::filesystem::path workingDirectory{};  ///< empty: the host's
  /// Between SIGTERM and SIGKILL when the agent is cancelled or times out.
  SteadyClock::duration gracePeriod = std::chrono::seconds(2);
  /// Whether the ending is forced to disk. The host reads its agents' files live, through the
  /// page cache, so the default skips the sync; OnSettle makes endings survive a machine crash
  /// for a host that re-attaches after one.
  FsyncPolicy fsync = FsyncPolicy::Never;
  /// Output beyond this is dropped (a notice says so). A process agent's RESULT and ERROR lines
  /// are kept past it, up to one largest RESULT (1 MiB) more in all; the ending is always
  /// written. The file stays within this plus about 1 MiB whatever the agent prints.
  std::uint64_t maxOutputBytes = std::uint64_t{64} << 20;
  /// A process agent that outlives its host: by default an agent ends with the host that
  /// started it, even when the host is killed with SIGKILL. With this set it runs on in a
  /// session of its own and writes its output file itself (no relay: its lines are the file's,
  /// as in the protocol, and maxOutputBytes cannot cut them), so a later host finds it in
  /// `outputDirectory` with reattach() and can wait for it or stop it. While the host lives it
  /// is followed as any agent; a runtime that shuts down leaves it running, and its task
  /// settles Cancelled. A `/bin/sh` launcher waits for it and appends `[EXIT] status=N` when
  /// it ends (docs/protocol.md P27), so a host that re-attaches after it ended still learns
  /// its exit status. Its Task still cancels it when destroyed unsettled, as any task does:
  /// detach() one that is to outlive its handle. Process agents only: an in-process agent
  /// asked to survive fails at launch (InvalidArgument).
  bool survivesHost = false;
  /// The runtime that runs the agent and settles its task; null: the process-wide default. A
  /// launch on a runtime that has shut down (or, in a forked child, on one the parent made)
  /// returns a task already failed with the reason.
  Runtime* runtime = nullptr;
};

}  // namespace bgagent
