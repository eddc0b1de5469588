// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/inotify_watch.hpp: one inotify instance watching directories, shared by
// every file a Watcher follows. Directories, not files: a file that does not exist yet, or is
// replaced by rename, is still seen, and a thousand files in one directory cost one watch.
// Per-user inotify instances are few (often 128), so a Watcher owns exactly one.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <sys/inotify.h>
#include <unistd.h>

#include <bgagent/core/detail/unique_fd.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bgagent::detail {

class InotifyWatch {
 public:
  static constexpr std::uint32_t kDirectoryEvents =
      IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
      IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

  InotifyWatch();

  /// False when the kernel refused an instance (the per-user limit): callers poll instead.
  bool available() const noexcept { return static_cast<bool>(fd_); }
  int fd() const noexcept { return fd_.get(); }

  /// Gives the instance up (the loop could not take its descriptor): callers poll instead.
  void close() noexcept {
    fd_.reset();
    references_.clear();
  }

  /// Watches `directory` (again: the kernel returns the same descriptor for the same inode, and
  /// it is counted; asking again adds to the watch's events, which never drops one). Returns
  /// the watch descriptor, or -1 with errno set.
  int addDirectory(const std::string& directory);

  /// Drops one reference; the last one removes the kernel watch.
  void releaseDirectory(int wd);

  /// The kernel dropped this watch (IN_IGNORED: the directory was removed or unmounted).
  void forget(int wd) { references_.erase(wd); }

  /// Reads every queued event and calls onEvent(wd, name, mask) for each; wd is -1 for
  /// IN_Q_OVERFLOW, after which every file must be re-read.
  template <typename OnEvent>
  void readEvents(OnEvent&& onEvent) {
    alignas(inotify_event) char buffer[16 * 1024];
    while (true) {
      const ssize_t length = ::read(fd_.get(), buffer, sizeof buffer);
      if (length <= 0) return;  // EAGAIN: drained (EINTR: the next wake-up reads on)
      for (std::size_t at = 0; at < static_cast<std::size_t>(length);) {
        inotify_event event{};
        std::memcpy(&event, buffer + at, sizeof event);
        const char* name = buffer + at + sizeof event;
        onEvent(event.wd, std::string_view(name, event.len > 0 ? std::strlen(name) : 0),
                event.mask);
        at += sizeof event + event.len;
      }
    }
  }

 private:
  UniqueFd fd_;
  std::unordered_map<int, int> references_;  // wd -> files using it
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/inotify_watch_inl.hpp>
#endif
