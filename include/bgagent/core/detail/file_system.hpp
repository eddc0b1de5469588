// SPDX-License-Identifier: MIT
// bgagent/core/detail/file_system.hpp: what the watcher asks of the file system: whether inotify
// sees every write to a directory, and saturating time arithmetic for its timers.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <sys/vfs.h>

#include <bgagent/core/detail/config.hpp>
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

/// `time + duration`, or the clock's maximum (minimum) where that would overflow: a huge
/// timeout means no deadline, not one in the past. Compared in floating point, so a duration in
/// any unit (hours::max() included) is safe to pass.
template <typename Clock, typename Rep, typename Period>
typename Clock::time_point saturatingAdd(typename Clock::time_point time,
                                         std::chrono::duration<Rep, Period> duration) {
  using Point = typename Clock::time_point;
  using Seconds = std::chrono::duration<double>;
  const Seconds now = time.time_since_epoch();
  if (Seconds(duration) >= Seconds(Point::max().time_since_epoch()) - now) return Point::max();
  if (Seconds(duration) <= Seconds(Point::min().time_since_epoch()) - now) return Point::min();
  return time + std::chrono::duration_cast<typename Clock::duration>(duration);
}

}  // namespace bgagent::detail
