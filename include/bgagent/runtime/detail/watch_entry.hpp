// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/watch_entry.hpp: one file a Watcher follows, and the rules that settle it.
// Owned by the runtime's thread once registered; only `id` and the stop callback are touched
// elsewhere.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <algorithm>
#include <atomic>
#include <bgagent/core/detail/duration_text.hpp>
#include <bgagent/core/detail/file_error.hpp>
#include <bgagent/core/detail/file_system.hpp>
#include <bgagent/core/detail/unique_fd.hpp>
#include <bgagent/protocol/output_file.hpp>
#include <bgagent/protocol/wait_outcome.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>

namespace bgagent::detail {

using SettledCallback = std::function<void(WaitOutcome)>;

struct WatchEntry {
  WatchEntry(std::uint64_t watchId, const std::filesystem::path& path, WaitOptions waitOptions,
             SettledCallback settled, SteadyClock::time_point now)
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
    pid = options.writerPid;
  }

  /// The earliest time this entry needs the watcher to look at it without being woken.
  std::optional<SteadyClock::time_point> nextTimer() const {
    std::optional<SteadyClock::time_point> next = deadline;
    const auto earliest = [&next](SteadyClock::time_point time) {
      next = next ? std::min(*next, time) : time;
    };
    if (options.idleTimeout)
      earliest(saturatingAdd<SteadyClock>(lastActivity, *options.idleTimeout));
    if (polled()) earliest(nextPoll);
    return next;
  }

  /// Read by the poll interval rather than woken by inotify (or a pid without a pidfd).
  bool polled() const noexcept { return wd < 0 || (pid > 0 && !pidFd && !writerExited); }

  /// The outcome when the file's own state settles the wait, else nullopt.
  std::optional<WaitOutcome> outcomeFromFile() const {
    const OutputSnapshot& snapshot = file.snapshot();
    if (snapshot.status == Status::Succeeded) {
      return WaitOutcome{Status::Succeeded, std::nullopt, snapshot};
    }
    if (snapshot.status == Status::Failed) {
      return WaitOutcome{Status::Failed, snapshot.error, snapshot};
    }
    return std::nullopt;
  }

  WaitOutcome outcome(Status status, ErrorCode code, const std::string& what) const {
    return WaitOutcome{status, fileError(code, file.path(), what), file.snapshot()};
  }

  WaitOutcome crashedOutcome() const {
    std::string what = "writer pid " + std::to_string(pid) + " exited without [COMPLETE]";
    const OutputTail& tail = file.snapshot().tail;
    if (!tail.empty()) what += "; last output: " + tail[tail.size() - 1];
    return outcome(Status::Crashed, ErrorCode::AgentKilled, what);
  }

  WaitOutcome stalledOutcome() const {
    return outcome(Status::Stalled, ErrorCode::DeadlineExceeded,
                   "no new output for " + durationText(*options.idleTimeout) + " (idle timeout)");
  }

  WaitOutcome timedOutOutcome() const {
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

  std::uint64_t id;
  OutputFile file;
  WaitOptions options;
  SettledCallback onSettled;
  std::optional<SteadyClock::time_point> deadline;
  bool deadlineIsTimeout = true;         // the deadline is the timeout's, not options.deadline
  SteadyClock::time_point lastActivity;  // the last read that brought bytes
  SteadyClock::time_point nextPoll;
  std::atomic<bool> cancelRequested{false};  // raised by stopCallback, from any thread
  std::string directory;
  std::string name;
  int wd = -1;  // inotify watch on `directory`, or -1 when polled
  std::int64_t pid = 0;
  UniqueFd pidFd;
  bool writerExited = false;
  bool dirty = true;             // read at the next turn (registration, an event, an overflow)
  std::string missingDirectory;  // why the file can never appear (found at the call), or empty
  // Last: destroyed first, so a callback in flight finishes before the flag goes away.
  std::optional<std::stop_callback<std::function<void()>>> stopCallback;
};

}  // namespace bgagent::detail
