// SPDX-License-Identifier: MIT
// bgagent/protocol/output_file.hpp: reads an output file as it grows.
//
// Owns: OutputFile, a path plus an OutputParser plus a read offset. readAppended() reads only
// the bytes appended since the last call, with pread on a descriptor kept open: a call that
// finds nothing new costs one system call; refreshIfChanged() asks one statx first, for a
// poller or a file whose descriptor was let go of. refresh() also notices a file truncated,
// replaced (another inode) or removed, and starts over (docs/protocol.md, P26).
// A file that does not exist yet is Pending, not an error.
// Thread safety: none; one OutputFile belongs to one thread at a time.
// Errors: values naming the file: a directory or other non-regular file (InvalidArgument), a
// read error (Io), a file removed before [COMPLETE] (NotFound).
// Example:
//   bgagent::OutputFile file("build.out");
//   while (!bgagent::isSettled(file.snapshot().status)) { wait(); file.refresh(); }
#pragma once

#include <bgagent/core/detail/unique_fd.hpp>
#include <bgagent/core/result.hpp>
#include <bgagent/protocol/output_parser.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>

namespace bgagent {

/// An output file read as it grows: its path, its parser and how far it has been read.
class OutputFile {
 public:
  /// Reads `path`, which need not exist yet, with a parser bound by `limits`; opens nothing
  /// until the first read.
  explicit OutputFile(const std::filesystem::path& path, ParserLimits limits = {})
      : path_(path.string()), parser_(path_, limits) {}

  /// No limit on how much one call reads.
  static constexpr std::size_t kUnlimited = static_cast<std::size_t>(-1);

  /// Reads the bytes appended since the last call, at most `maxBytes` of them, and feeds them to
  /// the parser. Returns how many were read (0 when there was nothing new, or no file yet).
  /// A caller serving many files passes a budget, so one fast writer cannot hold it.
  Result<std::size_t> readAppended(std::size_t maxBytes = kUnlimited);

  /// readAppended(), then checks whether the file was truncated (it is shorter than what was
  /// read), replaced (the path names another inode) or removed, and starts over when it was:
  /// two more system calls. A call that used up its budget leaves the check to the next one.
  Result<std::size_t> refresh(std::size_t maxBytes = kUnlimited);

  /// refresh(), unless one statx says that the file has not changed since it was read to its
  /// end (the same inode, size and modification time, that time older than the clock's and
  /// file systems' granularity when it was seen): then 0, and nothing more is asked. For a
  /// reader that looks without being told of a change (polling).
  Result<std::size_t> refreshIfChanged(std::size_t maxBytes = kUnlimited) {
    if (unchangedSinceRead()) return std::size_t{0};
    return refresh(maxBytes);
  }

  /// Everything the bytes read so far have said (OutputParser::snapshot()).
  const OutputSnapshot& snapshot() const noexcept { return parser_.snapshot(); }
  /// The path given at construction.
  const std::string& path() const noexcept { return path_; }
  /// Closes the descriptor and keeps what was read: the next read opens the path again and
  /// goes on from the same offset when it names the same file (the same inode, beginning with
  /// the same bytes: a freed inode number can be given to the next file made), or starts over
  /// when another file took its place (P26). For a reader that cannot hold a descriptor per
  /// file. A poller's look at it is one statx while it does not change (refreshIfChanged).
  void closeDescriptor() noexcept {
    if (!fd_) return;
    fd_.reset();
    reopening_ = true;
  }

  /// Bytes read so far from the current file.
  std::uint64_t offset() const noexcept { return offset_; }
  /// Whether a descriptor of the file is held open now.
  bool isOpen() const noexcept { return static_cast<bool>(fd_); }
  /// True once a file has been found at the path (it may have gone since).
  bool fileFound() const noexcept { return hadFile_; }

  /// See OutputParser::setEventHandler.
  void setEventHandler(OutputParser::EventHandler handler) {
    parser_.setEventHandler(std::move(handler));
  }

 private:
  // True when the file is open now; false when it does not exist (yet, or any more).
  Result<bool> openFile();

  Error removedError() const;

  // Whether the file open at `fd` begins with head_ (one pread).
  bool startsWithHead(int fd) const;

  // Whether the path still names the file read, unchanged since it was read to its end (one
  // statx; false when there is no such file, or no stat of it to compare with).
  bool unchangedSinceRead() const;

  // Keeps what a stat of the open file said (its size, its modification time in ns): a later
  // one saying the same, at the offset read to, means nothing was written since, unless that
  // time was too recent to tell a later write in the same tick apart (seenAt_).
  void rememberStat(std::uint64_t size, std::int64_t modified) noexcept;

  std::string path_;
  OutputParser parser_;
  detail::UniqueFd fd_;
  std::uint64_t offset_ = 0;
  bool hadFile_ = false;
  bool removed_ = false;
  bool reopening_ = false;  // closeDescriptor() let go of the file at device_ and inode_
  std::uint64_t device_ = 0;
  std::uint64_t inode_ = 0;
  // The size and modification time (ns) that a stat of the open file last said, and when
  // (CLOCK_REALTIME, ns); -1: none yet.
  std::uint64_t seenSize_ = 0;
  std::int64_t seenModified_ = -1;
  std::int64_t seenAt_ = -1;
  std::string head_;  // the file's first bytes, up to kHeadBytes: what a reopen compares
  static constexpr std::size_t kHeadBytes = 256;
};

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/protocol/output_file_inl.hpp>
#endif
