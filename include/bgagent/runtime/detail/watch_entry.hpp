// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/watch_entry.hpp: one file a Watcher follows, and the rules that settle it.
// Owned by the runtime's thread once registered; only `id` and the stop callback are touched
// elsewhere.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <atomic>
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

namespace bgagent::detail {

using SettledCallback = std::function<void(WaitOutcome)>;

struct WatchEntry {
  WatchEntry(std::uint64_t watchId, const std::filesystem::path& path, WaitOptions waitOptions,
             SettledCallback settled, SteadyClock::time_point now);

  /// The earliest time this entry needs the watcher to look at it without being woken.
  std::optional<SteadyClock::time_point> nextTimer() const;

  /// Read by the poll interval rather than woken by inotify (or a pid without a pidfd).
  bool polled() const noexcept {
    return wd < 0 || withoutDescriptor || (pid > 0 && !pidFd && !followedExited);
  }

  /// The outcome when the file's own state settles the wait, else nullopt.
  std::optional<WaitOutcome> outcomeFromFile() const;

  WaitOutcome outcome(Status status, ErrorCode code, const std::string& what) const;

  WaitOutcome crashedOutcome() const;

  WaitOutcome stalledOutcome() const;

  WaitOutcome timedOutOutcome() const;

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
  bool writerIsThisProcess = false;  // WaitOptions::writerPid is this process: follow none
  UniqueFd pidFd;
  bool followedExited = false;     // the followed process (`pid`) has exited
  std::int64_t followedAgent = 0;  // the Agent: pid followed since the writer exited, or 0
  std::int64_t exitedWriter = 0;   // that writer's pid, for the message
  bool withoutDescriptor = false;  // none was left to open the file: it is opened per read
  // Read at the next turn (registration, an event, an overflow). Raised only by FileWatches'
  // markDirty, which lists the entry in its dirty_.
  bool dirty = false;
  std::string missingDirectory;  // why the file can never appear (found at the call), or empty
  std::optional<SteadyClock::time_point> queuedTimer;  // its pair in the timer queue, if any
  // Last: destroyed first, so a callback in flight finishes before the flag goes away.
  std::optional<std::stop_callback<std::function<void()>>> stopCallback;
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/watch_entry_inl.hpp>
#endif
