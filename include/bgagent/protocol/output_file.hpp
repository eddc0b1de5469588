// SPDX-License-Identifier: MIT
// bgagent/protocol/output_file.hpp: reads an output file as it grows.
//
// Owns: OutputFile, a path plus an OutputParser plus a read offset. readAppended() reads only
// the bytes appended since the last call, with pread on a descriptor kept open: a call that
// finds nothing new costs one system call. refresh() also notices a file truncated, replaced
// (another inode) or removed, and starts over (docs/protocol.md, P26).
// A file that does not exist yet is Pending, not an error.
// Thread safety: none; one OutputFile belongs to one thread at a time.
// Errors: values naming the file: a directory or other non-regular file (InvalidArgument), a
// read error (Io), a file removed before [COMPLETE] (NotFound).
// Example:
//   bgagent::OutputFile file("build.out");
//   while (!bgagent::isSettled(file.snapshot().status)) { wait(); file.refresh(); }
#pragma once

#include <sys/stat.h>

#include <algorithm>
#include <bgagent/core/detail/file_error.hpp>
#include <bgagent/core/detail/syscall.hpp>
#include <bgagent/core/detail/unique_fd.hpp>
#include <bgagent/core/result.hpp>
#include <bgagent/protocol/detail/read_buffer.hpp>
#include <bgagent/protocol/output_parser.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>

namespace bgagent {

/// An output file read as it grows: its path, its parser and how far it has been read.
class OutputFile {
 public:
  explicit OutputFile(const std::filesystem::path& path, ParserLimits limits = {})
      : path_(path.string()), parser_(path_, limits) {}

  /// No limit on how much one call reads.
  static constexpr std::size_t kUnlimited = static_cast<std::size_t>(-1);

  /// Reads the bytes appended since the last call, at most `maxBytes` of them, and feeds them to
  /// the parser. Returns how many were read (0 when there was nothing new, or no file yet).
  /// A caller serving many files passes a budget, so one fast writer cannot hold it.
  Result<std::size_t> readAppended(std::size_t maxBytes = kUnlimited) {
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
      if (count < 0) return detail::fileErrorFromErrno(path_, "cannot read");
      if (count == 0) break;
      const auto bytes = static_cast<std::size_t>(count);
      parser_.feed(std::string_view(buffer.data(), bytes));
      offset_ += bytes;
      total += bytes;
      if (bytes < wanted) break;  // reached the end; no second call to learn it
    }
    return total;
  }

  /// readAppended(), then checks whether the file was truncated (it is shorter than what was
  /// read), replaced (the path names another inode) or removed, and starts over when it was:
  /// two more system calls. A call that used up its budget leaves the check to the next one.
  Result<std::size_t> refresh(std::size_t maxBytes = kUnlimited) {
    Result<std::size_t> read = readAppended(maxBytes);
    if (!read || !fd_ || *read == maxBytes) return read;
    struct stat opened {};
    if (detail::statFd(fd_.get(), opened) != 0)
      return detail::fileErrorFromErrno(path_, "cannot stat");
    if (static_cast<std::uint64_t>(opened.st_size) < offset_) {
      parser_.restart();  // truncated in place
      offset_ = 0;
      return readAppended(maxBytes);
    }
    struct stat named {};
    if (detail::statPath(path_.c_str(), named) != 0) {
      if (errno != ENOENT) return detail::fileErrorFromErrno(path_, "cannot stat");
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

  const OutputSnapshot& snapshot() const noexcept { return parser_.snapshot(); }
  const std::string& path() const noexcept { return path_; }
  /// Bytes read so far from the current file.
  std::uint64_t offset() const noexcept { return offset_; }
  bool isOpen() const noexcept { return static_cast<bool>(fd_); }
  /// True once a file has been found at the path (it may have gone since).
  bool fileFound() const noexcept { return hadFile_; }

  /// See OutputParser::setEventHandler.
  void setEventHandler(OutputParser::EventHandler handler) {
    parser_.setEventHandler(std::move(handler));
  }

 private:
  // True when the file is open now; false when it does not exist (yet, or any more).
  Result<bool> openFile() {
    // O_NONBLOCK: opening a FIFO must not block until a writer appears; it is refused below.
    detail::UniqueFd fd(detail::openFile(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!fd) {
      if (errno == ENOENT) return false;
      return detail::fileErrorFromErrno(path_, "cannot open");
    }
    struct stat status {};
    if (detail::statFd(fd.get(), status) != 0)
      return detail::fileErrorFromErrno(path_, "cannot stat");
    if (!S_ISREG(status.st_mode)) {
      return detail::fileError(
          ErrorCode::InvalidArgument, path_,
          S_ISDIR(status.st_mode) ? "is a directory, not a file" : "is not a regular file");
    }
    if (hadFile_) parser_.restart();  // a new file at the path: start over (P26)
    hadFile_ = true;
    removed_ = false;
    offset_ = 0;
    fd_ = std::move(fd);
    return true;
  }

  Error removedError() const {
    return detail::fileError(ErrorCode::NotFound, path_, "was removed before [COMPLETE]");
  }

  std::string path_;
  OutputParser parser_;
  detail::UniqueFd fd_;
  std::uint64_t offset_ = 0;
  bool hadFile_ = false;
  bool removed_ = false;
};

}  // namespace bgagent
