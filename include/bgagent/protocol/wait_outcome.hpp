// SPDX-License-Identifier: MIT
// bgagent/protocol/wait_outcome.hpp: what waiting on an output file can end in, and how to ask for
// it.
//
// Owns: WaitOutcome (how a wait ended: its Status, one of Succeeded, Failed, TimedOut,
// Cancelled, Stalled, Crashed; the error that explains it; the snapshot then) and WaitOptions
// (deadline, idle timeout, poll interval, stop token, the writer's pid).
// An agent's failure is a value here, never an exception.
// Thread safety: value types.
#pragma once

#include <bgagent/core/clock.hpp>
#include <bgagent/core/error.hpp>
#include <bgagent/protocol/agent_state.hpp>
#include <bgagent/protocol/protocol.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string_view>

namespace bgagent {

/// The end of a wait: its status, the error explaining any status but Succeeded, and
/// everything the file had said by then.
struct WaitOutcome {
  /// How the wait ended: Succeeded, Failed, TimedOut, Cancelled, Stalled or Crashed.
  Status status = Status::Cancelled;
  std::optional<Error> error{};  ///< set exactly when status != Succeeded
  OutputSnapshot snapshot;       ///< everything the file had said when the wait ended

  /// Whether status is Succeeded.
  bool succeeded() const noexcept { return status == Status::Succeeded; }
  /// The RESULT value (null when the file had none).
  const nlohmann::json& result() const noexcept { return snapshot.result; }
};

/// What to wait for and for how long. Timeout and deadline may both be set: the earlier wins.
/// With neither, the wait has no time limit (idleTimeout, stopToken or the writer's exit can
/// still end it).
struct WaitOptions {
  std::optional<SteadyClock::duration> timeout{};      ///< from the call; none: no limit
  std::optional<SteadyClock::time_point> deadline{};   ///< absolute; none: no limit
  std::optional<SteadyClock::duration> idleTimeout{};  ///< no new byte for this long: Stalled
  /// How often a polled file is read: with forcePolling, without inotify, for a directory that
  /// cannot be watched, and on file systems where inotify misses writes (NFS and the like).
  SteadyClock::duration pollInterval = std::chrono::seconds(5);
  bool forcePolling = false;    ///< never use inotify for this file
  std::stop_token stopToken{};  ///< a stop request ends the wait: Cancelled
  /// The writer's process id, when the caller knows it; otherwise the file's `Writer: pid=` is
  /// used when its host is this host. Its exit without [COMPLETE] ends the wait: Crashed,
  /// unless the file's `Agent:` line names a process that still runs with the start time
  /// recorded there (an agent that survives its host): that one is followed then. This
  /// process's own pid follows no process (this process writes the ending). A number outside
  /// pid_t's range (negative, or above 2^31 - 1) is std::invalid_argument.
  std::int64_t writerPid = 0;
  ParserLimits limits{};  ///< the parser's bounds on line, RESULT and warning sizes
  /// Called on the runtime's thread after each read that brought new bytes. Keep it short; it
  /// must not wait for a watch of the same watcher. If it throws, the watch settles as Failed
  /// (Internal) with the exception's message.
  std::function<void(const OutputSnapshot&)> onUpdate{};
};

}  // namespace bgagent
