// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/watch_entry_inl.hpp: the bodies of watch_entry.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/watch_entry.hpp>
// What the bodies use besides their header:
#include <unistd.h>

#include <algorithm>
#include <bgagent/core/detail/duration_text.hpp>
#include <bgagent/core/detail/file_system.hpp>
#include <utility>

namespace bgagent::detail {

BGAGENT_INLINE WatchEntry::WatchEntry(std::uint64_t watchId, const std::filesystem::path& path,
                                      WaitOptions waitOptions, SettledCallback settled,
                                      SteadyClock::time_point now)
    : id(watchId),
      file(path, waitOptions.limits),
      options(std::move(waitOptions)),
      onSettled(std::move(settled)),
      lastActivity(now),
      nextPoll(now) {
  if (options.timeout) deadline = saturatingAdd<SteadyClock>(now, *options.timeout);
  if (options.deadline && (!deadline || *options.deadline < *deadline)) {
    deadline = *options.deadline;
    deadlineIsTimeout = false;
  }
  // This process never exits while it watches: following it would cost a descriptor, and
  // the file's own Writer: line is not followed either (this host writes the ending).
  writerIsThisProcess = options.writerPid == ::getpid();
  if (!writerIsThisProcess) pid = options.writerPid;
}

BGAGENT_INLINE std::optional<SteadyClock::time_point> WatchEntry::nextTimer() const {
  std::optional<SteadyClock::time_point> next = deadline;
  const auto earliest = [&next](SteadyClock::time_point time) {
    next = next ? std::min(*next, time) : time;
  };
  if (options.idleTimeout) earliest(saturatingAdd<SteadyClock>(lastActivity, *options.idleTimeout));
  if (polled()) earliest(nextPoll);
  return next;
}

BGAGENT_INLINE std::optional<WaitOutcome> WatchEntry::outcomeFromFile() const {
  const OutputSnapshot& snapshot = file.snapshot();
  if (snapshot.status == Status::Succeeded) {
    return WaitOutcome{Status::Succeeded, std::nullopt, snapshot};
  }
  if (snapshot.status == Status::Failed) {
    return WaitOutcome{Status::Failed, snapshot.error, snapshot};
  }
  return std::nullopt;
}

BGAGENT_INLINE WaitOutcome WatchEntry::outcome(Status status, ErrorCode code,
                                               const std::string& what) const {
  return WaitOutcome{status, Error::ofFile(code, file.path(), what), file.snapshot()};
}

BGAGENT_INLINE WaitOutcome WatchEntry::crashedOutcome() const {
  std::string what = followedAgent != 0
                         ? "agent pid " + std::to_string(followedAgent) +
                               " (left running by writer pid " + std::to_string(exitedWriter) +
                               ") exited without [COMPLETE]"
                         : "writer pid " + std::to_string(pid) + " exited without [COMPLETE]";
  const OutputTail& tail = file.snapshot().tail;
  if (!tail.empty()) what += "; last output: " + tail[tail.size() - 1];
  return outcome(Status::Crashed, ErrorCode::AgentKilled, what);
}

BGAGENT_INLINE WaitOutcome WatchEntry::stalledOutcome() const {
  return outcome(Status::Stalled, ErrorCode::DeadlineExceeded,
                 "no new output for " + durationText(*options.idleTimeout) + " (idle timeout)");
}

BGAGENT_INLINE WaitOutcome WatchEntry::timedOutOutcome() const {
  // No file at all is another mistake than a slow agent: a wrong path, or an agent that never
  // started.
  if (!file.fileFound()) {
    return outcome(Status::TimedOut, ErrorCode::NotFound,
                   deadlineIsTimeout
                       ? "was never created (waited " + durationText(*options.timeout) + ")"
                       : std::string("was never created (waited until the "
                                     "deadline)"));
  }
  return outcome(Status::TimedOut, ErrorCode::DeadlineExceeded,
                 deadlineIsTimeout ? "not complete after " + durationText(*options.timeout)
                                   : std::string("not complete by the deadline"));
}

}  // namespace bgagent::detail
