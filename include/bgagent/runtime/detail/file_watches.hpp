// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/file_watches.hpp: the runtime's part that follows output files until each
// settles: one inotify instance watching directories, pidfds for writers, and polling where
// inotify cannot be trusted (NFS, SMB, FUSE..., directories that cannot be watched,
// forcePolling). Its descriptors sit in the runtime's one epoll set; it owns no thread.
// docs/threading.md states the rules.
// Thread safety: watch() and cancelWatch() from any thread. Callbacks run on the runtime's
// thread, never under this part's lock; they may call watch() but must not block on another
// watch of the same runtime.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <atomic>
#include <bgagent/core/detail/unique_fd.hpp>
#include <bgagent/protocol/wait_outcome.hpp>
#include <bgagent/runtime/detail/event_loop.hpp>
#include <bgagent/runtime/detail/inotify_watch.hpp>
#include <bgagent/runtime/detail/open_file_budget.hpp>
#include <bgagent/runtime/detail/watch_canceller.hpp>
#include <bgagent/runtime/detail/watch_entry.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bgagent::detail {

class FileWatches final : public LoopPart, public WatchCanceller {
 public:
  /// `maxOpenFiles`: how many watched files may hold a descriptor at once (0: half of
  /// RLIMIT_NOFILE's soft limit); the others are opened for each read (OpenFileBudget).
  FileWatches(const EventLoop& loop, std::size_t partIndex, bool forcePolling,
              std::size_t maxOpenFiles = 0);

  /// Follows `outputFile` until it settles (Succeeded or Failed), its deadline or idle timeout
  /// passes, its writer exits, its stop token fires, or its owner ends it (unwatch or
  /// cancelWatch with its id); then calls `onSettled` once, on the runtime's thread. A file
  /// whose directory does not exist at this call (or is not a directory) fails at once,
  /// NotFound. Throws std::invalid_argument on misuse (an empty path, no callback, a
  /// non-positive poll interval). Returns the watch's id, which the caller owns: it wraps it in
  /// a WatchHandle over this part, or the watch runs until it settles. 0 (never an id: ids
  /// count from 1) means it settled at once, the runtime being shut down.
  [[nodiscard]] std::uint64_t watch(const std::filesystem::path& outputFile, WaitOptions options,
                                    SettledCallback onSettled);

  /// Ends the watch with this id (a WatchHandle's id()) from any thread, as cancelling its
  /// handle would: for owners that share a watch's id between threads.
  void cancelWatch(std::uint64_t id);

  /// Whether this part has an inotify instance (false: every file is polled).
  bool usesInotify() const noexcept { return inotify_.available() && !forcePolling_; }

  /// Settles every open watch as Cancelled with `why`, including any that a callback starts
  /// while this happens, and from then on settles new ones so at once, on the thread that asks
  /// (the runtime's last turn).
  void close(const std::string& why);

  /// Reads every file once more now, settling those whose ending is there (the shutdown's last
  /// look, after every agent has written its ending).
  void readAll();

  void onReady(std::uint64_t key) override;

  void onTurn(SteadyClock::time_point now) override;

  std::optional<SteadyClock::time_point> nextTimer() override;

 private:
  static constexpr std::uint64_t kInotifyKey = 0;
  using QueuedTimer = std::pair<SteadyClock::time_point, std::uint64_t>;  // (time, entry id)
  // At most this much of one file is read per turn, so a writer faster than the parser cannot
  // hold the thread that serves every other watch.
  static constexpr std::size_t kReadBudget = std::size_t{1} << 20;

  std::uint64_t nextId();

  void unwatch(std::uint64_t id) override;

  void readInotifyEvents();

  void takeQueued();

  void startWatching(std::unique_ptr<WatchEntry> entry);

  // Why `outputFile` can never appear, when its directory does not exist or is not one (a wait
  // on it could only end at its timeout); empty otherwise, an unreadable directory included.
  static std::string missingDirectoryOf(const std::filesystem::path& outputFile);

  // statfs once per directory: a thousand files in one directory ask once.
  bool directoryIsWatchable(const std::string& directory);

  // Watches `entry.pid`'s exit: the writer's, or the agent's once the writer has gone (given
  // its start time, a later process with its pid counts as its exit).
  void followProcess(WatchEntry& entry, std::optional<std::uint64_t> started = std::nullopt);

  // Unlinks an entry from the watcher's tables; the caller owns it.
  std::unique_ptr<WatchEntry> detach(std::uint64_t id);

  // Lists `entry` for a read at the next turn (registration, an event, an overflow), once.
  void markDirty(WatchEntry& entry);

  // Queues `entry`'s next timer when it moved since it was last queued.
  void schedule(WatchEntry& entry);

  // The entry a queued timer is for, or null when that pair is stale.
  WatchEntry* entryOf(const QueuedTimer& timer);

  void checkEntries(SteadyClock::time_point now);

  std::optional<WaitOutcome> check(WatchEntry& entry, SteadyClock::time_point now);

  // A read when the process has no descriptor left: the reserve is closed for the file's open,
  // and taken back after.
  Result<std::size_t> readThroughReserve(WatchEntry& entry);

  // After `entry`'s read: a descriptor it holds becomes the most recent, and the one read
  // longest ago closes when the budget is over.
  void keepWithinBudget(WatchEntry& entry);

  // A file's `Writer: pid=N host=H` names a process this watcher can follow when H is this host.
  void adoptWriterFromHeader(WatchEntry& entry);

  // Once the writer has exited, the agent's own process when the header names one (an agent
  // that survives its host): true when it still runs and is followed from now on.
  bool followAgentAfterWriter(WatchEntry& entry);

  void deliverSettled();

  const EventLoop& loop_;
  std::size_t partIndex_;
  bool forcePolling_;
  std::string hostName_;
  InotifyWatch inotify_;
  UniqueFd reserve_;  // /dev/null, kept so that a watch can still read when none is left

  // Raised by a stop callback, from any thread and with no lock, after the entry's own flag.
  // Declared before the entries, so it outlives their callbacks.
  std::atomic<bool> cancelsAsked_{false};

  std::mutex mutex_;
  std::uint64_t lastId_ = kInotifyKey;              // guarded by mutex_
  std::vector<std::unique_ptr<WatchEntry>> added_;  // guarded by mutex_
  std::vector<std::uint64_t> removed_;              // guarded by mutex_
  bool closed_ = false;                             // guarded by mutex_
  std::string closedWhy_;                           // guarded by mutex_

  // The runtime's thread's own.
  std::unordered_map<std::uint64_t, std::unique_ptr<WatchEntry>> entries_;
  // wd -> file name -> ids of the entries watching that name.
  std::unordered_map<int, std::unordered_map<std::string, std::vector<std::uint64_t>>> directories_;
  std::vector<std::uint64_t> dirty_;   // entries whose `dirty` is raised, each once
  std::vector<std::uint64_t> dueNow_;  // the entries a turn looks at
  // Each entry's queued timer; a pair whose entry went or whose timer moved is skipped when it
  // comes up.
  std::priority_queue<QueuedTimer, std::vector<QueuedTimer>, std::greater<>> timerQueue_;
  std::vector<std::pair<std::unique_ptr<WatchEntry>, WaitOutcome>> settled_;
  std::unordered_map<std::string, bool> watchableDirectories_;  // directory -> inotify is reliable
  OpenFileBudget openFiles_;  // which entries' files hold a descriptor
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/file_watches_inl.hpp>
#endif
