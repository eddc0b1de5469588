// SPDX-License-Identifier: MIT
// bgagent/core/status.hpp: Status, the one vocabulary of where an agent stands: what its output
// file implies, how a wait on that file ended, what its task settled as, and what a dashboard
// shows. The values each of them takes:
//   an output file (OutputSnapshot::status): Pending, Running, Succeeded, Failed;
//   a wait (WaitOutcome::status): Succeeded, Failed, TimedOut, Cancelled, Stalled, Crashed;
//   a task (Task::status()): Pending, Running, Succeeded, Failed, Cancelled, TimedOut, Crashed;
//   a dashboard row: its task's, or Stalled for a running agent silent for stalledAfter.
// Thread safety: a value type.
#pragma once

#include <string_view>

namespace bgagent {

/// Where an agent stands. An output file (OutputSnapshot::status) is Pending, Running,
/// Succeeded or Failed; a wait (WaitOutcome::status) ends Succeeded, Failed, TimedOut,
/// Cancelled, Stalled or Crashed; a task (Task::status()) takes every value but Stalled, which
/// only a dashboard row shows, for a running agent that has gone silent.
enum class Status {
  Pending,    ///< no [START] yet (a missing or empty file, a task not started)
  Running,    ///< [START] seen; no ending and no failure yet
  Succeeded,  ///< [COMPLETE] and no failure; a task's RESULT converted
  Failed,     ///< an [ERROR], "success": false, an invalid RESULT, a broken protocol (P21), a
              ///< file that cannot be read, or an agent that could not start
  Cancelled,  ///< stopped by the host (cancel(), a combinator, a stop token, a shutdown)
  TimedOut,   ///< a timeout or deadline passed first
  Stalled,    ///< no new byte (output or HEARTBEAT) for the idle time asked for
  Crashed,    ///< the writer died without an ending, or was killed by a signal nobody sent
};

/// The value's name as spelt in the code: "Pending", "Running", ..., "Crashed".
constexpr std::string_view toString(Status status) noexcept {
  switch (status) {
    case Status::Pending:
      return "Pending";
    case Status::Running:
      return "Running";
    case Status::Succeeded:
      return "Succeeded";
    case Status::Failed:
      return "Failed";
    case Status::Cancelled:
      return "Cancelled";
    case Status::TimedOut:
      return "TimedOut";
    case Status::Stalled:
      return "Stalled";
    case Status::Crashed:
      return "Crashed";
  }
  return "Unknown";
}

/// Whether the status is an ending, which nothing changes any more. Stalled is not: a stalled
/// agent may still write.
constexpr bool isSettled(Status status) noexcept {
  return status != Status::Pending && status != Status::Running && status != Status::Stalled;
}

/// The three vocabularies Status replaces; deprecated, removed in the next release.
using TaskStatus [[deprecated("use bgagent::Status")]] = Status;
using WaitStatus [[deprecated("use bgagent::Status")]] = Status;   ///< deprecated: use Status
using AgentStatus [[deprecated("use bgagent::Status")]] = Status;  ///< deprecated: use Status

}  // namespace bgagent
