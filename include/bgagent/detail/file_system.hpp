// bgagent/detail/file_system.hpp: what the watcher asks of the file system: whether inotify
// sees every write to a directory, and saturating time arithmetic for its timers.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <sys/vfs.h>

#include <bgagent/detail/config.hpp>
#include <chrono>
#include <string>

namespace bgagent::detail {

/// False on file systems where inotify misses writes made on other machines or in user space
/// (NFS, SMB/CIFS, FUSE, 9P, Ceph, AFS), and when statfs fails: such files are polled.
inline bool inotifySeesEveryWrite(const std::string& directory) {
  struct statfs info {};
  if (::statfs(directory.c_str(), &info) != 0) return false;
  switch (static_cast<unsigned long>(info.f_type)) {
    case 0x6969UL:      // NFS
    case 0x517BUL:      // SMB
    case 0xFF534D42UL:  // CIFS
    case 0xFE534D42UL:  // SMB2
    case 0x65735546UL:  // FUSE
    case 0x01021997UL:  // 9P
    case 0x00C36400UL:  // Ceph
    case 0x5346414FUL:  // AFS
      return false;
    default:
      return true;
  }
}

/// `time + duration`, or the clock's maximum where that would overflow: a huge timeout means
/// no deadline, not one in the past.
template <typename Clock, typename Duration>
typename Clock::time_point saturatingAdd(typename Clock::time_point time, Duration duration) {
  using Point = typename Clock::time_point;
  const auto step = std::chrono::duration_cast<typename Clock::duration>(duration);
  if (step.count() > 0 && time > Point::max() - step) return Point::max();
  if (step.count() < 0 && time < Point::min() - step) return Point::min();
  return time + step;
}

}  // namespace bgagent::detail
