// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/close_descriptors.hpp: closing every descriptor of a forked child but
// one, with async-signal-safe calls only (the child of a fork in a threaded host may make no
// other): an agent started through fork() before its exec (spawn_inl.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace bgagent::detail {

// Closes every descriptor from `first` up but `keep`, by listing /proc/self/fd: what the
// child of a fork can do without close_range. Async-signal-safe (open, getdents64, close); the
// directory is read again from its start after each batch of closes, until one closes nothing.
// False if /proc cannot be read.
inline bool closeListedDescriptors(int first, int keep) noexcept {
  const int directory = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory < 0) return false;
  alignas(8) char buffer[4096];
  bool closedSome = true;
  while (closedSome) {
    closedSome = false;
    ::lseek(directory, 0, SEEK_SET);
    long got = 0;
    while ((got = ::syscall(SYS_getdents64, directory, buffer, sizeof buffer)) > 0) {
      for (long offset = 0; offset < got;) {
        // struct linux_dirent64: ino (8 bytes), off (8), reclen (2), type (1), name.
        unsigned short length = 0;
        std::memcpy(&length, buffer + offset + 16, sizeof length);
        const char* name = buffer + offset + 19;
        int fd = 0;
        bool number = *name != '\0';
        for (const char* c = name; *c != '\0' && number; ++c) {
          number = *c >= '0' && *c <= '9' && fd < (1 << 26);
          fd = fd * 10 + (*c - '0');
        }
        if (number && fd >= first && fd != keep && fd != directory) {
          ::close(fd);
          closedSome = true;
        }
        offset += length;
      }
    }
  }
  ::close(directory);
  return true;
}

// Closes every descriptor from `first` up, except `keep`: close_range(2) (Linux 5.9) where the
// kernel has it, else the descriptors /proc/self/fd lists, else one close() per possible
// descriptor below `limit`.
inline void closeDescriptorsFrom(int first, int keep, int limit) noexcept {
#ifdef SYS_close_range
  const auto closeRange = [](int low, unsigned high) {
    return ::syscall(SYS_close_range, static_cast<unsigned>(low), high, 0U) == 0;
  };
  const bool closed = keep >= first
                          ? (keep == first || closeRange(first, static_cast<unsigned>(keep - 1))) &&
                                closeRange(keep + 1, ~0U)
                          : closeRange(first, ~0U);
  if (closed) return;
#endif
  if (closeListedDescriptors(first, keep)) return;
  for (int fd = first; fd < limit; ++fd) {
    if (fd != keep) ::close(fd);
  }
}

}  // namespace bgagent::detail
