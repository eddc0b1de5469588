// SPDX-License-Identifier: MIT
// bgagent/core/detail/syscall.hpp: the system calls bgagent's file I/O makes, each retried on
// EINTR, all through one table that tests replace to inject faults (short writes, EINTR,
// ENOSPC, read errors).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bgagent/core/detail/config.hpp>
#include <cerrno>

namespace bgagent::detail {

/// The seam: every call below goes through these pointers. Tests swap one entry at a time with
/// ScopedSyscall (tests/support), with no other bgagent thread running.
struct SyscallTable {
  int (*open)(const char* path, int flags, mode_t mode);
  ssize_t (*pread)(int fd, void* buffer, size_t count, off_t offset);
  ssize_t (*write)(int fd, const void* buffer, size_t count);
  int (*fdatasync)(int fd);
  int (*fstat)(int fd, struct stat* status);
  int (*stat)(const char* path, struct stat* status);
  int (*statx)(int directory, const char* path, int flags, unsigned mask, struct statx* status);
};

inline int systemOpen(const char* path, int flags, mode_t mode) {
  return ::open(path, flags, mode);
}

inline SyscallTable syscalls{systemOpen, ::pread, ::write, ::fdatasync, ::fstat, ::stat, ::statx};

template <typename Call>
auto retryOnInterrupt(Call call) {
  auto result = call();
  while (result == -1 && errno == EINTR) result = call();
  return result;
}

inline int openFile(const char* path, int flags, mode_t mode = 0) {
  return retryOnInterrupt([&] { return syscalls.open(path, flags, mode); });
}
inline ssize_t preadSome(int fd, void* buffer, size_t count, off_t offset) {
  return retryOnInterrupt([&] { return syscalls.pread(fd, buffer, count, offset); });
}
inline ssize_t writeSome(int fd, const void* buffer, size_t count) {
  return retryOnInterrupt([&] { return syscalls.write(fd, buffer, count); });
}
inline int syncData(int fd) {
  return retryOnInterrupt([&] { return syscalls.fdatasync(fd); });
}
inline int statFd(int fd, struct stat& status) {
  return retryOnInterrupt([&] { return syscalls.fstat(fd, &status); });
}
inline int statPath(const char* path, struct stat& status) {
  return retryOnInterrupt([&] { return syscalls.stat(path, &status); });
}
// Size, inode and modification time of `path`, asked of the server on a network file system
// (AT_STATX_FORCE_SYNC: NFS would answer from an attribute cache up to a minute old).
inline int statPathFresh(const char* path, struct statx& status) {
  return retryOnInterrupt([&] {
    return syscalls.statx(AT_FDCWD, path, AT_STATX_FORCE_SYNC,
                          STATX_TYPE | STATX_INO | STATX_SIZE | STATX_MTIME, &status);
  });
}

}  // namespace bgagent::detail
