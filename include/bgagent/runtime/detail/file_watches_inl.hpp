// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/file_watches_inl.hpp: the bodies of file_watches.hpp's functions (inline
// in header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/file_watches.hpp>
// What the bodies use besides their header:
#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <bgagent/core/detail/file_system.hpp>
#include <bgagent/protocol/output_writer.hpp>
#include <bgagent/runtime/detail/process_liveness.hpp>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>

namespace bgagent::detail {

BGAGENT_INLINE FileWatches::FileWatches(const EventLoop& loop, std::size_t partIndex,
                                        bool forcePolling, std::size_t maxOpenFiles)
    : loop_(loop), partIndex_(partIndex), forcePolling_(forcePolling), openFiles_(maxOpenFiles) {
  // Without the loop's wake-ups inotify's events would never be read: poll every file instead.
  if (inotify_.available() && !loop_.add(inotify_.fd(), partIndex_, kInotifyKey)) {
    inotify_.close();
  }
  hostName_ = OutputWriterAccess::hostName();
  reserve_ = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

BGAGENT_INLINE std::uint64_t FileWatches::watch(const std::filesystem::path& outputFile,
                                                WaitOptions options, SettledCallback onSettled) {
  if (outputFile.empty()) throw std::invalid_argument("bgagent: watch() needs an output file path");
  if (!onSettled) throw std::invalid_argument("bgagent: watch() needs a callback");
  if (options.pollInterval <= SteadyClock::duration::zero()) {
    throw std::invalid_argument("bgagent: the poll interval must be positive");
  }
  // Cast to a pid_t, a larger number would name another process (or all of them).
  if (options.writerPid < 0 || options.writerPid > std::numeric_limits<std::int32_t>::max()) {
    throw std::invalid_argument("bgagent: writerPid " + std::to_string(options.writerPid) +
                                " is not a process id");
  }
  auto entry = std::make_unique<WatchEntry>(nextId(), outputFile, std::move(options),
                                            std::move(onSettled), SteadyClock::now());
  // Asked here, on the caller's thread: the answer is the directory's state at the call, not
  // at whatever later moment the runtime's thread registers the watch.
  entry->missingDirectory = missingDirectoryOf(outputFile);
  const std::uint64_t id = entry->id;
  if (entry->options.stopToken.stop_possible()) {
    // The callback runs in whichever thread requests the stop: it only raises the entry's
    // flag and wakes the runtime, so it takes no lock (the entry's destructor, on the
    // runtime's thread, waits for a callback in flight).
    WatchEntry* raw = entry.get();
    entry->stopCallback.emplace(entry->options.stopToken, [this, raw] {
      raw->cancelRequested.store(true, std::memory_order_release);
      cancelsAsked_.store(true, std::memory_order_release);
      loop_.wake();
    });
  }
  std::string closedWhy;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_) {
      closedWhy = closedWhy_;
    } else {
      // A queue that was not empty has its wake-up on the way, and the turn it starts takes
      // everything queued: 10,000 watches asked at once cost one wake-up, not 10,000.
      wake = added_.empty() && removed_.empty();
      added_.push_back(std::move(entry));
    }
  }
  if (entry != nullptr) {
    // Nobody is left to settle it later: it settles now, on this thread.
    WaitOutcome outcome = entry->outcome(Status::Cancelled, ErrorCode::Cancelled, closedWhy);
    SettledCallback callback = std::move(entry->onSettled);
    entry.reset();
    callback(std::move(outcome));
    return 0;
  }
  if (wake) loop_.wake();
  return id;
}

BGAGENT_INLINE void FileWatches::cancelWatch(std::uint64_t id) {
  unwatch(id);
}

BGAGENT_INLINE void FileWatches::close(const std::string& why) {
  {
    std::lock_guard lock(mutex_);
    closedWhy_ = why;
  }
  bool more = true;
  while (more) {
    takeQueued();
    for (auto& [id, entry] : entries_) {
      WaitOutcome outcome = entry->outcome(Status::Cancelled, ErrorCode::Cancelled, why);
      settled_.emplace_back(std::move(entry), std::move(outcome));
    }
    entries_.clear();
    directories_.clear();
    dirty_.clear();
    openFiles_.clear();
    timerQueue_ = {};
    deliverSettled();
    std::lock_guard lock(mutex_);
    more = !added_.empty();
    closed_ = !more;
  }
}

BGAGENT_INLINE void FileWatches::readAll() {
  takeQueued();
  for (auto& [id, entry] : entries_) markDirty(*entry);
  checkEntries(SteadyClock::now());
}

BGAGENT_INLINE void FileWatches::onReady(std::uint64_t key) {
  if (key == kInotifyKey) {
    readInotifyEvents();
  } else if (const auto found = entries_.find(key); found != entries_.end()) {
    found->second->followedExited = true;  // the pidfd is readable: the process exited
    markDirty(*found->second);
  }
}

BGAGENT_INLINE void FileWatches::onTurn(SteadyClock::time_point now) {
  takeQueued();
  checkEntries(now);
}

BGAGENT_INLINE std::optional<SteadyClock::time_point> FileWatches::nextTimer() {
  if (!dirty_.empty() || cancelsAsked_.load(std::memory_order_acquire)) return SteadyClock::now();
  while (!timerQueue_.empty()) {
    if (entryOf(timerQueue_.top()) != nullptr) return timerQueue_.top().first;
    timerQueue_.pop();
  }
  return std::nullopt;
}

BGAGENT_INLINE WatchEntry* FileWatches::entryOf(const QueuedTimer& timer) {
  const auto found = entries_.find(timer.second);
  // Gone when the entry settled, or its timer moved since the pair was queued.
  if (found == entries_.end() || found->second->queuedTimer != timer.first) return nullptr;
  return found->second.get();
}

BGAGENT_INLINE void FileWatches::markDirty(WatchEntry& entry) {
  if (entry.dirty) return;  // listed already
  entry.dirty = true;
  dirty_.push_back(entry.id);
}

BGAGENT_INLINE void FileWatches::schedule(WatchEntry& entry) {
  const std::optional<SteadyClock::time_point> next = entry.nextTimer();
  if (next == entry.queuedTimer) return;
  entry.queuedTimer = next;
  if (next) timerQueue_.emplace(*next, entry.id);
  // Every moved timer leaves its old pair behind (an idle timeout moves with each read): when
  // those outnumber the live ones, the queue is built again from the entries.
  if (timerQueue_.size() > 2 * entries_.size() + 64) {
    timerQueue_ = {};
    for (const auto& [id, watched] : entries_) {
      if (watched->queuedTimer) timerQueue_.emplace(*watched->queuedTimer, id);
    }
  }
}

BGAGENT_INLINE std::uint64_t FileWatches::nextId() {
  std::lock_guard lock(mutex_);
  return ++lastId_;
}

BGAGENT_INLINE void FileWatches::unwatch(std::uint64_t id) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    wake = added_.empty() && removed_.empty();  // as in watch()
    removed_.push_back(id);
  }
  if (wake) loop_.wake();
}

BGAGENT_INLINE void FileWatches::readInotifyEvents() {
  inotify_.readEvents([this](int wd, std::string_view name, std::uint32_t mask) {
    if (wd < 0 || (mask & IN_Q_OVERFLOW) != 0) {
      for (auto& [id, entry] : entries_) markDirty(*entry);  // events were lost: re-read all
      return;
    }
    const auto directory = directories_.find(wd);
    if (directory == directories_.end()) return;
    const bool aboutDirectory = name.empty() || (mask & IN_IGNORED) != 0;
    if (!aboutDirectory) {
      // Only the files of that name: a busy directory costs a lookup, not a scan.
      const auto named = directory->second.find(std::string(name));
      if (named != directory->second.end()) {
        for (const std::uint64_t id : named->second) markDirty(*entries_.at(id));
      }
      return;
    }
    for (auto& [fileName, ids] : directory->second) {
      for (const std::uint64_t id : ids) {
        WatchEntry& entry = *entries_.at(id);
        markDirty(entry);
        if ((mask & IN_IGNORED) != 0) {
          entry.wd = -1;  // the directory went away: poll from now on
          entry.nextPoll = SteadyClock::now();
        }
      }
    }
    if ((mask & IN_IGNORED) != 0) {
      directories_.erase(directory);
      inotify_.forget(wd);
    }
  });
}

BGAGENT_INLINE void FileWatches::takeQueued() {
  std::vector<std::unique_ptr<WatchEntry>> added;
  std::vector<std::uint64_t> removed;
  {
    std::lock_guard lock(mutex_);
    added.swap(added_);
    removed.swap(removed_);
  }
  for (auto& entry : added) startWatching(std::move(entry));
  for (const std::uint64_t id : removed) detach(id);  // destroyed here, callback not called
}

BGAGENT_INLINE void FileWatches::startWatching(std::unique_ptr<WatchEntry> entry) {
  // A symlinked path is written where it points: watch the target's directory. (One lstat;
  // resolving every path would cost a readlink per component per watch.)
  std::error_code error;
  std::filesystem::path path(entry->file.path());
  if (std::filesystem::is_symlink(path, error)) {
    path = std::filesystem::weakly_canonical(path, error);
    if (error) path = entry->file.path();
  }
  entry->directory = path.has_parent_path() ? path.parent_path().string() : std::string(".");
  entry->name = path.filename().string();
  if (usesInotify() && !entry->options.forcePolling && directoryIsWatchable(entry->directory)) {
    entry->wd = inotify_.addDirectory(entry->directory);
    if (entry->wd >= 0) directories_[entry->wd][entry->name].push_back(entry->id);
  }
  if (entry->pid > 0) followProcess(*entry);
  markDirty(*entry);  // its first read is at the next turn
  entries_.emplace(entry->id, std::move(entry));
}

BGAGENT_INLINE std::string FileWatches::missingDirectoryOf(
    const std::filesystem::path& outputFile) {
  const std::filesystem::path directory =
      outputFile.has_parent_path() ? outputFile.parent_path() : std::filesystem::path(".");
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(directory, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    return "its directory '" + directory.string() + "' does not exist";
  }
  if (!error && status.type() != std::filesystem::file_type::directory) {
    return "'" + directory.string() + "' is not a directory";
  }
  return {};
}

BGAGENT_INLINE bool FileWatches::directoryIsWatchable(const std::string& directory) {
  const auto known = watchableDirectories_.find(directory);
  if (known != watchableDirectories_.end()) return known->second;
  if (watchableDirectories_.size() > 4096) watchableDirectories_.clear();  // bounded
  return watchableDirectories_[directory] = inotifySeesEveryWrite(directory);
}

BGAGENT_INLINE void FileWatches::followProcess(WatchEntry& entry,
                                               std::optional<std::uint64_t> started) {
  bool exited = false;
  entry.pidFd = openPidFd(entry.pid, exited, started);
  // Without the pidfd's event (the kernel refused the registration) the writer's liveness is
  // asked at the poll interval instead.
  if (entry.pidFd && !loop_.add(entry.pidFd.get(), partIndex_, entry.id)) entry.pidFd.reset();
  if (exited) entry.followedExited = true;
}

BGAGENT_INLINE std::unique_ptr<WatchEntry> FileWatches::detach(std::uint64_t id) {
  const auto found = entries_.find(id);
  if (found == entries_.end()) return nullptr;
  std::unique_ptr<WatchEntry> entry = std::move(found->second);
  entries_.erase(found);
  // Off the budget, so closed now: a turn that settles thousands of watches delivers them at
  // its end, and their descriptors must not pile up until then.
  openFiles_.forget(id);
  entry->file.closeDescriptor();
  if (entry->pidFd) {
    // Unregistered before it closes: the registration belongs to the file description.
    loop_.remove(entry->pidFd.get());
  }
  if (entry->wd >= 0) {
    auto& names = directories_[entry->wd];
    auto& ids = names[entry->name];
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
    if (ids.empty()) names.erase(entry->name);
    if (names.empty()) directories_.erase(entry->wd);
    inotify_.releaseDirectory(entry->wd);
  }
  return entry;
}

BGAGENT_INLINE void FileWatches::checkEntries(SteadyClock::time_point now) {
  // Only the entries that have something to do: read (dirty), a timer due, or a stop asked. A
  // turn costs what happened in it, not the number of files watched.
  std::vector<std::uint64_t>& due = dueNow_;  // kept between turns for its capacity
  due.swap(dirty_);
  while (!timerQueue_.empty() && timerQueue_.top().first <= now) {
    WatchEntry* entry = entryOf(timerQueue_.top());
    timerQueue_.pop();
    if (entry == nullptr) continue;
    entry->queuedTimer.reset();
    due.push_back(entry->id);
  }
  if (cancelsAsked_.exchange(false, std::memory_order_acq_rel)) {
    // Rare, and asked from any thread without a lock: the flags say which.
    for (const auto& [id, entry] : entries_) {
      if (entry->cancelRequested.load(std::memory_order_acquire)) due.push_back(id);
    }
  }
  // Once each: a file both dirty and due would be read twice, past its budget for the turn.
  std::sort(due.begin(), due.end());
  due.erase(std::unique(due.begin(), due.end()), due.end());
  // A full budget asks the limit again (once a turn): the host may have raised it since.
  if (!due.empty() && openFiles_.size() >= openFiles_.limit()) openFiles_.refreshLimit();
  for (const std::uint64_t id : due) {
    const auto found = entries_.find(id);
    if (found == entries_.end()) continue;  // unwatched, or settled as the turn began
    WatchEntry& entry = *found->second;
    if (std::optional<WaitOutcome> outcome = check(entry, now)) {
      settled_.emplace_back(detach(id), std::move(*outcome));
    } else {
      schedule(entry);
    }
  }
  due.clear();
  deliverSettled();
}

BGAGENT_INLINE std::optional<WaitOutcome> FileWatches::check(WatchEntry& entry,
                                                             SteadyClock::time_point now) {
  if (entry.cancelRequested.load(std::memory_order_acquire)) {
    return entry.outcome(Status::Cancelled, ErrorCode::Cancelled, "wait cancelled");
  }
  if (!entry.missingDirectory.empty()) {
    return entry.outcome(Status::Failed, ErrorCode::NotFound, entry.missingDirectory);
  }
  const bool pollDue = entry.polled() && now >= entry.nextPoll;
  if (entry.dirty || pollDue) {
    const bool changed = entry.dirty;  // an event (or a registration, an overflow) says so
    entry.dirty = false;
    if (pollDue) entry.nextPoll = saturatingAdd<SteadyClock>(now, entry.options.pollInterval);
    // Without a pidfd, liveness is asked at the poll interval (before the read, so a writer
    // that completed and exited in between is read as completed, not crashed).
    if (pollDue && entry.pid > 0 && !entry.pidFd && !isAlive(entry.pid)) {
      entry.followedExited = true;
    }
    const auto outOfDescriptors = [](const Result<std::size_t>& result) {
      return !result &&
             (result.error().systemError == EMFILE || result.error().systemError == ENFILE);
    };
    // Polled, with nothing to say the file changed: a stat says whether to read at all.
    Result<std::size_t> read =
        changed ? entry.file.refresh(kReadBudget) : entry.file.refreshIfChanged(kReadBudget);
    if (outOfDescriptors(read)) {
      // No descriptor left in the process (or the system): this watch reads its file by path
      // from now on, opening it for each read only (on inotify's events, at the poll interval).
      if (!entry.withoutDescriptor) {
        entry.withoutDescriptor = true;
        entry.nextPoll = saturatingAdd<SteadyClock>(now, entry.options.pollInterval);
      }
      read = readThroughReserve(entry);
    }
    if (entry.withoutDescriptor) entry.file.closeDescriptor();
    // Not even the reserve: nothing was read, so nothing may be concluded (a writer that
    // completed and exited is not crashed, a quiet file not stalled); a later turn reads.
    const bool unread = outOfDescriptors(read);
    if (unread) {
      read = std::size_t{0};
      entry.lastActivity = now;
    }
    if (!read) return WaitOutcome{Status::Failed, read.error(), entry.file.snapshot()};
    if (*read == kReadBudget) markDirty(entry);  // more waits: read on at the next turn
    // Only a watch that goes on keeps a place (one whose file settles it closes the file in
    // detach(), and must not push out another's first); done before onUpdate, which may look.
    if (!isSettled(entry.file.snapshot().status)) keepWithinBudget(entry);
    if (*read > 0) {
      entry.lastActivity = now;
      if (entry.options.onUpdate) {
        try {
          entry.options.onUpdate(entry.file.snapshot());
        } catch (const std::exception& exception) {
          return entry.outcome(Status::Failed, ErrorCode::Internal,
                               std::string("the onUpdate callback threw: ") + exception.what());
        } catch (...) {
          return entry.outcome(Status::Failed, ErrorCode::Internal, "the onUpdate callback threw");
        }
      }
    }
    if (std::optional<WaitOutcome> outcome = entry.outcomeFromFile()) return outcome;
    adoptWriterFromHeader(entry);
    if (entry.followedExited && !unread && !followAgentAfterWriter(entry)) {
      return entry.crashedOutcome();
    }
  }
  if (entry.deadline && now >= *entry.deadline) {
    // A polled file may have appeared since its last read: look once more before saying it
    // never did.
    if (!entry.file.fileFound()) (void)entry.file.refresh(kReadBudget);
    return entry.timedOutOutcome();
  }
  if (entry.options.idleTimeout && now - entry.lastActivity >= *entry.options.idleTimeout) {
    return entry.stalledOutcome();
  }
  return std::nullopt;
}

BGAGENT_INLINE Result<std::size_t> FileWatches::readThroughReserve(WatchEntry& entry) {
  const auto openReserve = [] { return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); };
  if (!reserve_) reserve_ = openReserve();  // lost to another thread's open at the last read
  if (!reserve_) return entry.file.refresh(kReadBudget);
  reserve_.reset();
  Result<std::size_t> read = entry.file.refresh(kReadBudget);
  entry.file.closeDescriptor();
  reserve_ = openReserve();
  return read;
}

BGAGENT_INLINE void FileWatches::keepWithinBudget(WatchEntry& entry) {
  if (!entry.file.isOpen()) {
    openFiles_.forget(entry.id);
    return;
  }
  openFiles_.touch(entry.id);
  // Closed, not polled: the directory's inotify watch still names the file when it changes,
  // and a file polled anyway costs a stat while nothing changes.
  while (const std::uint64_t oldest = openFiles_.takeExcess()) {
    entries_.at(oldest)->file.closeDescriptor();
  }
}

BGAGENT_INLINE void FileWatches::adoptWriterFromHeader(WatchEntry& entry) {
  const WriterInfo& writer = entry.file.snapshot().writer;
  // Our own pid (the supervisor and in-process agents write as this process) can never exit
  // while we watch: a pidfd on it would only cost a descriptor.
  if (entry.pid != 0 || entry.writerIsThisProcess || writer.pid <= 0 || writer.host != hostName_ ||
      writer.pid == ::getpid()) {
    return;
  }
  entry.pid = writer.pid;
  followProcess(entry);
  if (!entry.pidFd && !entry.followedExited) entry.nextPoll = SteadyClock::now();
}

BGAGENT_INLINE bool FileWatches::followAgentAfterWriter(WatchEntry& entry) {
  const OutputSnapshot& snapshot = entry.file.snapshot();
  const AgentProcessInfo& agent = snapshot.agent;
  // Without its start time a later process given the pid could be taken for it.
  if (entry.followedAgent != 0 || agent.pid <= 0 || agent.started == 0 || agent.pid == entry.pid ||
      snapshot.writer.host != hostName_) {
    return false;
  }
  entry.followedAgent = agent.pid;
  entry.exitedWriter = entry.pid;
  entry.followedExited = false;
  if (entry.pidFd) {
    loop_.remove(entry.pidFd.get());  // unregistered before it closes (detach())
    entry.pidFd.reset();
  }
  entry.pid = agent.pid;
  followProcess(entry, agent.started);
  if (!entry.pidFd && !entry.followedExited) entry.nextPoll = SteadyClock::now();
  return !entry.followedExited;
}

BGAGENT_INLINE void FileWatches::deliverSettled() {
  auto settled = std::move(settled_);
  settled_.clear();
  for (auto& [entry, outcome] : settled) {
    SettledCallback callback = std::move(entry->onSettled);
    entry.reset();  // its descriptors close before the callback learns the outcome
    try {
      callback(std::move(outcome));
    } catch (...) {
      // Nobody is left to tell: the watch is over. The other watches must go on.
    }
  }
}

}  // namespace bgagent::detail
