// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/inotify_watch_inl.hpp: the bodies of inotify_watch.hpp's functions (inline
// in header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/inotify_watch.hpp>

namespace bgagent::detail {

BGAGENT_INLINE InotifyWatch::InotifyWatch() : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}

BGAGENT_INLINE int InotifyWatch::addDirectory(const std::string& directory) {
  // IN_MASK_ADD: asked again for a watched directory, the kernel would otherwise replace the
  // mask by clearing it first, and a write in the directory at that moment raises no event.
  const int wd = ::inotify_add_watch(fd_.get(), directory.c_str(), kDirectoryEvents | IN_MASK_ADD);
  if (wd >= 0) ++references_[wd];
  return wd;
}

BGAGENT_INLINE void InotifyWatch::releaseDirectory(int wd) {
  const auto found = references_.find(wd);
  if (found == references_.end()) return;
  if (--found->second == 0) {
    references_.erase(found);
    ::inotify_rm_watch(fd_.get(), wd);  // fails harmlessly if the kernel already dropped it
  }
}

}  // namespace bgagent::detail
