// SPDX-License-Identifier: MIT
// bgagent/runtime/watcher.hpp: Watcher, which follows output files until each settles.
//
// Owns: Watcher and WatcherOptions. A watcher is a view of a runtime's file watches: the
// default runtime's (Watcher::shared(), what waitForCompletion uses), a host's Runtime
// (Watcher(runtime)), or a runtime of its own (Watcher(options): one more thread, for tests and
// isolation). A thousand waits cost one thread and one inotify instance, not a thousand. Files
// on file systems where inotify misses writes (NFS, SMB, FUSE...), files in directories that
// cannot be watched, and watches with forcePolling are read at their poll interval instead. A
// writer's exit is seen through a pidfd. docs/threading.md states the rules.
// Thread safety: watch() and WatchHandle may be used from any thread. Callbacks run on the
// runtime's thread, never under a lock of the library's; they may call watch() but must not
// block on another watch of the same runtime.
// Lifetime: a watcher with a runtime of its own settles every open watch as Cancelled ("the
// watcher shut down") when destroyed, calling each callback: bounded by the callbacks' own time.
// Handles must not outlive their watcher's runtime.
// Example:
//   bgagent::Watcher watcher;
//   auto handle = watcher.watch("a.out", {.timeout = 30s}, [](bgagent::WaitOutcome outcome) {
//     std::puts(bgagent::toString(outcome.status).data());
//   });
#pragma once

#include <bgagent/protocol/wait_outcome.hpp>
#include <bgagent/runtime/runtime.hpp>
#include <bgagent/runtime/watch_handle.hpp>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

namespace bgagent {

/// How a Watcher with a runtime of its own reads files.
struct WatcherOptions {
  bool forcePolling = false;  ///< poll every file, never use inotify (tests, odd file systems)
  /// Files holding a descriptor at once (RuntimeOptions::maxOpenOutputFiles; 0: half of
  /// RLIMIT_NOFILE's soft limit).
  std::size_t maxOpenOutputFiles = 0;
};

/// Follows any number of output files until each settles.
class Watcher final {
 public:
  /// `void(WaitOutcome)`: how a watch ended, called once on the runtime's thread.
  using SettledCallback = detail::SettledCallback;

  /// A watcher with a runtime (one thread) of its own.
  explicit Watcher(WatcherOptions options = {});

  /// The file watches of `runtime`, which must outlive the watcher's handles.
  explicit Watcher(Runtime& runtime);

  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;
  Watcher(Watcher&&) = delete;
  Watcher& operator=(Watcher&&) = delete;
  ~Watcher() = default;

  /// Follows `outputFile` until it settles (Succeeded or Failed), its deadline or idle timeout
  /// passes, its writer exits, its stop token fires, or the handle ends it; then calls
  /// `onSettled` once, on the runtime's thread (at once, on this thread, if the runtime has
  /// shut down). A file whose directory does not exist at this call fails at once, NotFound; a
  /// file never created by the deadline ends TimedOut, NotFound "was never created". Throws
  /// std::invalid_argument on misuse (an empty path, no callback, a non-positive poll interval,
  /// a writerPid outside pid_t's range).
  [[nodiscard]] WatchHandle watch(const std::filesystem::path& outputFile, WaitOptions options,
                                  SettledCallback onSettled);

  /// Ends the watch with this id (a WatchHandle's id()) from any thread, as cancelling its
  /// handle would: for owners that share a watch's id between threads.
  void cancelWatch(std::uint64_t id);

  /// Whether the calling thread is the runtime's (callbacks run there).
  bool isWatcherThread() const;

  /// Whether the runtime has an inotify instance (false: every file is polled).
  bool usesInotify() const;

  /// The default runtime's watcher; starts that runtime if it is not running yet (in a forked
  /// child, a runtime of the child's own).
  static Watcher& shared();

 private:
  struct FollowDefault {};
  explicit Watcher(FollowDefault /*tag*/) : followsDefault_(true) {}

  std::shared_ptr<detail::RuntimeCore> core() const;

  std::optional<Runtime> owned_;
  std::shared_ptr<detail::RuntimeCore> core_;
  bool followsDefault_ = false;
};

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/watcher_inl.hpp>
#endif
