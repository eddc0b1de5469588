// SPDX-License-Identifier: MIT
// bgagent/core/detail/file_system.hpp: what the watcher asks of the file system: whether inotify
// sees every write to a directory, and saturating time arithmetic for its timers.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/detail/config.hpp>
#include <chrono>
#include <string>

namespace bgagent::detail {

/// False on file systems where inotify misses writes made on other machines or in user space
/// (NFS, SMB/CIFS, FUSE, 9P, Ceph, AFS), and when statfs fails: such files are polled.
bool inotifySeesEveryWrite(const std::string& directory);

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

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/core/detail/file_system_inl.hpp>
#endif
