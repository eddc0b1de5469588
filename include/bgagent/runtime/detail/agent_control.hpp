// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/agent_control.hpp: what a task shares with whatever runs its agent (the
// runtime's process part, an in-process agent's thread): why the host ended it, whether it has
// been reaped, and how to settle the task when its file cannot record the ending.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <atomic>
#include <bgagent/core/error.hpp>
#include <bgagent/core/stop_reason.hpp>
#include <bgagent/runtime/detail/task_events.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace bgagent::detail {

/// Why the host ended an agent, shared by the Task and whatever runs it.
using EndReason = StopReason;

/// How an agent with no time limit of its own records the deadline of an enclosing withTimeLimit.
inline constexpr std::string_view kEnclosingDeadline = "timed out (an enclosing deadline passed)";

/// How an agent's file records that the host cancelled it.
inline constexpr std::string_view kCancelledByHost = "cancelled by the host";

/// How an agent's file records that the runtime shut down under it.
inline constexpr std::string_view kHostShutDown = "the host shut down";

/// How the relay's [ERROR] begins when the output cap drops a RESULT or ERROR line: a failure
/// of the host's making, not the agent's report.
inline constexpr std::string_view kOutputCapCut =
    "bgagent: RESULT and ERROR lines past the output cap exceeded";

/// The error of work started on a runtime that has shut down.
Error runtimeShutDownError();

struct AgentControl {
  std::atomic<EndReason> endReason{EndReason::None};
  /// Set once the process has been reaped: stopping it then has nothing left to do.
  std::atomic<bool> reaped{false};
  /// Set when the runtime shut down and let the agent run on (one that survives its host):
  /// its file is the agent's still, for a later host, and no cleanup policy removes it.
  std::atomic<bool> leftRunning{false};
  /// The signal that killed the agent's process when nobody in the host sent it (0: none),
  /// set before its ending is written, and after crashRecord.
  std::atomic<int> killedBy{0};
  /// How the ending the host wrote for that crash begins ("killed by signal 11 (SIGSEGV)"),
  /// which the failure's message holds when that record decides it.
  std::string crashRecord;

  /// Whether a task whose agent crashed failed of the agent's own report instead (an ERROR or a
  /// RESULT with "success": false before the crash): then it is Failed, not Crashed.
  bool reportedItsOwnFailure(const Error& failure) const;
  /// Settles the task with an error when its file cannot record the ending (a full disk). Set
  /// before the agent starts; called once, from the thread that writes the ending.
  std::function<void(const Error&)> onEndingLost;
  /// Wakes the runtime's loop (a shutdown waiting for the agent's ending looks again). Set
  /// before the agent starts; any thread.
  std::function<void()> wakeRuntime;
  /// What happens to the task, for its event log (the runtime reports its kills).
  TaskEvents events;
  /// When the task was made, for the events' elapsed time.
  std::chrono::steady_clock::time_point launchedAt = std::chrono::steady_clock::now();

  /// Records `reason` unless an earlier one was recorded, or the agent's own ending was
  /// claimed first (claimEnding): the first wins. Returns the reason that stands.
  EndReason recordEnd(EndReason reason) noexcept;

  /// Like recordEnd, true only for the call that recorded `reason`.
  bool tryRecordEnd(EndReason reason) noexcept;

  /// For whoever writes the agent's ending, just before: the reason recorded so far. When it is
  /// None, the ending is the agent's own verdict, and a stop asked after it is not recorded,
  /// so it cannot relabel the task (an own failure settled as cancelled).
  EndReason claimEnding() noexcept;

 private:
  std::mutex endMutex_;
  bool endingClaimed_ = false;  // guarded by endMutex_
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/agent_control_inl.hpp>
#endif
