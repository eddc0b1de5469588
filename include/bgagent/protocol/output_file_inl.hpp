// SPDX-License-Identifier: MIT
// bgagent/protocol/output_file_inl.hpp: the bodies of output_file.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/protocol/output_file.hpp>
// What the bodies use besides their header:
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <algorithm>
#include <bgagent/core/detail/syscall.hpp>
#include <bgagent/protocol/detail/read_buffer.hpp>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <string_view>
#include <utility>

namespace bgagent {
namespace detail {

inline std::int64_t modifiedNs(const struct stat& status) noexcept {
  return status.st_mtim.tv_sec * std::int64_t{1'000'000'000} + status.st_mtim.tv_nsec;
}

// A file's modification time is as coarse as the kernel's clock tick (ext4, tmpfs), or a second
// and more on some servers (NFS, FAT): a rewrite this soon after a stat may keep its time.
inline constexpr std::int64_t kModifiedTimeGranularityNs = 2'000'000'000;

}  // namespace detail

BGAGENT_INLINE Result<std::size_t> OutputFile::readAppended(std::size_t maxBytes) {
  if (!fd_) {
    Result<bool> opened = openFile();
    if (!opened) return opened.error();
    if (!*opened) return removed_ ? removedError() : Result<std::size_t>(0);
  }
  std::size_t total = 0;
  detail::ReadBuffer buffer;
  while (total < maxBytes) {
    const std::size_t wanted = std::min(buffer.size(), maxBytes - total);
    const ssize_t count =
        detail::preadSome(fd_.get(), buffer.data(), wanted, static_cast<off_t>(offset_));
    if (count < 0) return Error::ofErrno(path_, "cannot read");
    if (count == 0) break;
    const auto bytes = static_cast<std::size_t>(count);
    if (head_.size() < kHeadBytes && offset_ == head_.size()) {
      head_.append(buffer.data(), std::min(bytes, kHeadBytes - head_.size()));
    }
    parser_.feed(std::string_view(buffer.data(), bytes));
    offset_ += bytes;
    total += bytes;
    if (bytes < wanted) break;  // reached the end; no second call to learn it
  }
  return total;
}

BGAGENT_INLINE Result<std::size_t> OutputFile::refresh(std::size_t maxBytes) {
  const bool wasOpen = static_cast<bool>(fd_);
  Result<std::size_t> read = readAppended(maxBytes);
  if (!read || !fd_ || *read == maxBytes) return read;
  // Opened by this call: openFile() has just found this inode at the path, and a file shorter
  // than the offset read to started over there.
  if (!wasOpen) return read;
  struct stat opened {};
  if (detail::statFd(fd_.get(), opened) != 0) return Error::ofErrno(path_, "cannot stat");
  rememberStat(static_cast<std::uint64_t>(opened.st_size), detail::modifiedNs(opened));
  if (static_cast<std::uint64_t>(opened.st_size) < offset_) {
    parser_.restart();  // truncated in place
    offset_ = 0;
    head_.clear();
    return readAppended(maxBytes);
  }
  struct stat named {};
  if (detail::statPath(path_.c_str(), named) != 0) {
    if (errno != ENOENT) return Error::ofErrno(path_, "cannot stat");
    // Removed. After [COMPLETE] that is cleanup; before it, the reader says so until a file
    // appears again.
    if (parser_.snapshot().completed) return read;
    fd_.reset();
    removed_ = true;
    return removedError();
  }
  if (named.st_ino != opened.st_ino || named.st_dev != opened.st_dev) {
    fd_.reset();  // replaced: read the new file from its start
    return readAppended(maxBytes);
  }
  return read;
}

BGAGENT_INLINE Result<bool> OutputFile::openFile() {
  // O_NONBLOCK: opening a FIFO must not block until a writer appears; it is refused below.
  detail::UniqueFd fd(detail::openFile(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    if (errno != ENOENT) return Error::ofErrno(path_, "cannot open");
    // Gone while no descriptor held it: removed before [COMPLETE], as refresh() would say.
    if (reopening_ && !parser_.snapshot().completed) removed_ = true;
    reopening_ = false;
    return false;
  }
  struct stat status {};
  if (detail::statFd(fd.get(), status) != 0) return Error::ofErrno(path_, "cannot stat");
  if (!S_ISREG(status.st_mode)) {
    return Error::ofFile(
        ErrorCode::InvalidArgument, path_,
        S_ISDIR(status.st_mode) ? "is a directory, not a file" : "is not a regular file");
  }
  const bool sameFile = reopening_ && static_cast<std::uint64_t>(status.st_dev) == device_ &&
                        static_cast<std::uint64_t>(status.st_ino) == inode_ &&
                        static_cast<std::uint64_t>(status.st_size) >= offset_ &&
                        startsWithHead(fd.get());
  if (!sameFile) {
    if (hadFile_) parser_.restart();  // a new file at the path: start over (P26)
    offset_ = 0;
    head_.clear();
  }
  hadFile_ = true;
  removed_ = false;
  reopening_ = false;
  device_ = static_cast<std::uint64_t>(status.st_dev);
  inode_ = static_cast<std::uint64_t>(status.st_ino);
  rememberStat(static_cast<std::uint64_t>(status.st_size), detail::modifiedNs(status));
  fd_ = std::move(fd);
  return true;
}

BGAGENT_INLINE bool OutputFile::unchangedSinceRead() const {
  // A time seen too close to when it was seen proves nothing (git's "racily clean" files): the
  // file is read, as before, and its first bytes compared when it is opened again.
  if (!hadFile_ || removed_ || seenModified_ < 0 ||
      seenAt_ - seenModified_ < detail::kModifiedTimeGranularityNs) {
    return false;
  }
  struct statx named {};
  // A failed statx says nothing here (ENOSYS included): the read that follows tells a removed
  // file from an error.
  if (detail::statPathFresh(path_.c_str(), named) != 0) return false;
  const std::int64_t modified =
      named.stx_mtime.tv_sec * std::int64_t{1'000'000'000} + named.stx_mtime.tv_nsec;
  return makedev(named.stx_dev_major, named.stx_dev_minor) == device_ && named.stx_ino == inode_ &&
         named.stx_size == offset_ && named.stx_size == seenSize_ && modified == seenModified_;
}

BGAGENT_INLINE void OutputFile::rememberStat(std::uint64_t size, std::int64_t modified) noexcept {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  seenSize_ = size;
  seenModified_ = modified;
  seenAt_ = now.tv_sec * std::int64_t{1'000'000'000} + now.tv_nsec;
}

BGAGENT_INLINE bool OutputFile::startsWithHead(int fd) const {
  std::string found(head_.size(), '\0');
  const ssize_t count = detail::preadSome(fd, found.data(), found.size(), 0);
  return count == static_cast<ssize_t>(found.size()) && found == head_;
}

BGAGENT_INLINE Error OutputFile::removedError() const {
  return Error::ofFile(ErrorCode::NotFound, path_, "was removed before [COMPLETE]");
}

}  // namespace bgagent
