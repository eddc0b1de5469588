// SPDX-License-Identifier: MIT
// bgagent/runtime/watch_handle.hpp: WatchHandle, which ends one watch of a Watcher.
//
// Thread safety: a handle belongs to one thread at a time; cancelling is safe from any thread.
// Lifetime: a handle must not outlive its Watcher. Destroying it cancels the watch.
#pragma once

#include <bgagent/core/detail/config.hpp>
#include <bgagent/runtime/detail/watch_canceller.hpp>
#include <cstdint>
#include <utility>

namespace bgagent {

/// Ends its watch when destroyed or cancelled; the callback then runs only if the watch had
/// already settled. Move-only; must not outlive its Watcher.
class WatchHandle {
 public:
  WatchHandle() = default;
  /// Made by Watcher::watch(); hosts get handles from it, not from here.
  WatchHandle(detail::WatchCanceller* watcher, std::uint64_t id) : watcher_(watcher), id_(id) {}
  /// Takes over `other`'s watch; `other` then ends nothing.
  WatchHandle(WatchHandle&& other) noexcept
      : watcher_(std::exchange(other.watcher_, nullptr)), id_(other.id_) {}
  /// Cancels this handle's watch, then takes over `other`'s.
  WatchHandle& operator=(WatchHandle&& other) noexcept;
  WatchHandle(const WatchHandle&) = delete;
  WatchHandle& operator=(const WatchHandle&) = delete;
  ~WatchHandle();

  /// Stops watching. Asynchronous: returns at once.
  void cancel() noexcept;

  /// Lets the watch run on without a handle; it ends when it settles.
  void release() noexcept { watcher_ = nullptr; }

  /// The watch's id, for Watcher::cancelWatch(); 0 for a default-constructed handle.
  std::uint64_t id() const noexcept { return id_; }

 private:
  detail::WatchCanceller* watcher_ = nullptr;
  std::uint64_t id_ = 0;
};

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/watch_handle_inl.hpp>
#endif
