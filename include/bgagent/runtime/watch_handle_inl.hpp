// SPDX-License-Identifier: MIT
// bgagent/runtime/watch_handle_inl.hpp: the bodies of watch_handle.hpp's functions (inline
// in header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/watch_handle.hpp>

namespace bgagent {

BGAGENT_INLINE WatchHandle& WatchHandle::operator=(WatchHandle&& other) noexcept {
  if (this != &other) {
    cancel();
    watcher_ = std::exchange(other.watcher_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

BGAGENT_INLINE WatchHandle::~WatchHandle() {
  cancel();
}

BGAGENT_INLINE void WatchHandle::cancel() noexcept {
  if (watcher_ == nullptr) return;
  try {
    std::exchange(watcher_, nullptr)->unwatch(id_);
  } catch (...) {
    // Only allocation can fail here; the watch then runs until it settles.
  }
}

}  // namespace bgagent
