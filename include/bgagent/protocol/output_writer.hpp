// SPDX-License-Identifier: MIT
// bgagent/protocol/output_writer.hpp: appends protocol records to an output file
// (docs/protocol.md).
//
// Owns: OutputWriter, the writing side of the output file. Each record (a marker line, the
// START header, a RESULT with its value) is one write() on an O_APPEND | O_CLOEXEC descriptor,
// so writers sharing a file never interleave inside a record; EINTR and short writes are
// retried; a full disk or any other failure comes back as an Error naming the file.
// Thread safety: one writer object belongs to one thread at a time; several writers (in threads
// or processes) may append to the same file, and their records never interleave.
// Lifetime: closes its descriptor on destruction; records already returned are in the file.
// Example:
//   auto writer = bgagent::OutputWriter::open("build.out").value();
//   writer.start("Run full test suite");
//   writer.progress("40% compiling");
//   writer.result({{"success", true}});
//   writer.complete();
#pragma once

#include <unistd.h>

#include <bgagent/core/detail/file_error.hpp>
#include <bgagent/core/detail/syscall.hpp>
#include <bgagent/core/detail/unique_fd.hpp>
#include <bgagent/core/fsync_policy.hpp>
#include <bgagent/core/result.hpp>
#include <bgagent/protocol/detail/timestamp.hpp>
#include <bgagent/protocol/protocol.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace bgagent {

/// How the file is opened.
enum class OpenMode {
  CreateNew,  ///< O_EXCL: fail if the path exists (a planted file or symlink cannot redirect us)
  Append,     ///< create if missing, else append
};

/// How OutputWriter::open opens the file and when records reach the disk.
struct WriterOptions {
  OpenMode mode = OpenMode::CreateNew;
  FsyncPolicy fsync = FsyncPolicy::OnSettle;
};

/// The writing side of an output file: one write() per record, errors as values.
class OutputWriter {
 public:
  /// Opens `path` for appending, mode 0600, never following a symlink. Errors: NotFound (no
  /// such directory), InvalidArgument (exists with CreateNew, a symlink, a directory), Io.
  static Result<OutputWriter> open(const std::filesystem::path& path, WriterOptions options = {}) {
    const std::string pathText = path.string();
    int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
    if (options.mode == OpenMode::CreateNew) flags |= O_EXCL;
    detail::UniqueFd fd(detail::openFile(pathText.c_str(), flags, 0600));
    if (!fd) {
      return detail::fileErrorFromErrno(pathText, options.mode == OpenMode::CreateNew
                                                      ? "cannot create"
                                                      : "cannot open for appending");
    }
    return OutputWriter(pathText, std::move(fd), options.fsync);
  }

  /// [START] with the current time, then `Task: description` and the `Writer:` line (this
  /// process's pid and host, the protocol version), as one record.
  Result<void> start(std::string_view description) {
    std::string record = std::string(protocol::kStart) + ' ' + now() + '\n';
    record += std::string(protocol::kTaskKey) + ' ' + oneLine(description) + '\n';
    record += std::string(protocol::kWriterKey) + " pid=" + std::to_string(::getpid()) +
              " host=" + hostName() + " protocol=" + std::to_string(protocol::kMajorVersion) + '.' +
              std::to_string(protocol::kMinorVersion) + '\n';
    return writeRecord(record, protocol::kStart, false);
  }

  /// [PROGRESS] text. Start it with `NN%` or `k/n` to give a percentage.
  Result<void> progress(std::string_view text) {
    return writeMarker(protocol::kProgress, oneLine(text), false);
  }

  /// [HEARTBEAT] with the current time: tells idle-timeout watchers the agent is alive.
  Result<void> heartbeat() { return writeMarker(protocol::kHeartbeat, now(), false); }

  /// Free output: split into lines; a line that would read as a marker is indented by one space,
  /// so free text can never forge a record.
  Result<void> output(std::string_view text) {
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    std::string record;
    record.reserve(text.size() + 8);
    while (true) {
      const std::size_t newline = text.find('\n');
      const std::string_view line = text.substr(0, newline);
      // Readers drop a final '\r' before they look for a marker (P1): so must this test.
      const std::string_view asRead = line.ends_with('\r') ? line.substr(0, line.size() - 1) : line;
      if (protocol::isMarkerLine(asRead)) record += ' ';
      record += line;
      record += '\n';
      if (newline == std::string_view::npos) break;
      text.remove_prefix(newline + 1);
    }
    return writeRecord(record, "output", false);
  }

  /// Appends complete lines exactly as given, markers included: for a relay that has already
  /// decided which records its source may write (the process supervisor forbids START and
  /// COMPLETE). `lines` must end with a newline.
  Result<void> relay(std::string_view lines) { return writeRecord(lines, "output", false); }

  /// [RESULT] followed by the value, pretty-printed on the lines after it.
  Result<void> result(const nlohmann::json& value) {
    return writeRecord(resultRecord(value), protocol::kResult, true);
  }

  /// [ERROR] message: the agent failed.
  Result<void> error(std::string_view message) {
    return writeMarker(protocol::kError, oneLine(message), true);
  }

  /// The agent's ending in one write(): an optional [ERROR], an optional [RESULT], then
  /// [COMPLETE]. A reader sees all of it or none, so a waiter woken by the ERROR already has
  /// the RESULT that explains it.
  Result<void> finish(const std::optional<std::string>& errorMessage,
                      const std::optional<nlohmann::json>& value) {
    std::string record;
    if (errorMessage) record += std::string(protocol::kError) + ' ' + oneLine(*errorMessage) + '\n';
    if (value) record += resultRecord(*value);
    record += std::string(protocol::kComplete) + ' ' + now() + '\n';
    return writeRecord(record, protocol::kComplete, true);
  }

  /// [COMPLETE] with the current time: the record is closed.
  Result<void> complete() { return writeMarker(protocol::kComplete, now(), true); }

  const std::string& path() const noexcept { return path_; }

 private:
  OutputWriter(std::string path, detail::UniqueFd fd, FsyncPolicy fsync)
      : path_(std::move(path)), fd_(std::move(fd)), fsync_(fsync) {}

  static std::string resultRecord(const nlohmann::json& value) {
    std::string record = std::string(protocol::kResult) + '\n';
    // replace: invalid UTF-8 in a string becomes U+FFFD instead of an exception.
    record += value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    record += '\n';
    return record;
  }

  static std::string now() { return detail::formatTimestamp(std::chrono::system_clock::now()); }

  static std::string hostName() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
    std::string host(name);
    for (char& c : host) {
      if (c == ' ' || c == '\n' || c == '\r') c = '_';
    }
    return host;
  }

  // A marker's text is one line: a line break inside it would end the record early.
  static std::string oneLine(std::string_view text) {
    std::string line(text);
    for (char& c : line) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return line;
  }

  Result<void> writeMarker(std::string_view marker, const std::string& text, bool settles) {
    std::string record(marker);
    if (!text.empty()) record += ' ' + text;
    record += '\n';
    return writeRecord(record, marker, settles);
  }

  Result<void> writeRecord(std::string_view record, std::string_view what, bool settles) {
    // After a write that failed part-way, the file may end inside a line: end it first, or the
    // next record would be glued to it and lost to every reader.
    if (partialLine_) {
      const char newline = '\n';
      if (detail::writeSome(fd_.get(), &newline, 1) != 1) {
        return detail::fileErrorFromErrno(path_, "cannot write " + std::string(what));
      }
      partialLine_ = false;
    }
    bool wroteSome = false;
    while (!record.empty()) {
      const ssize_t written = detail::writeSome(fd_.get(), record.data(), record.size());
      if (written == 0) errno = EIO;  // no progress and no errno: never loop on it
      if (written <= 0) partialLine_ = wroteSome;
      if (written <= 0)
        return detail::fileErrorFromErrno(path_, "cannot write " + std::string(what));
      record.remove_prefix(static_cast<std::size_t>(written));
      wroteSome = true;
    }
    if (settles && fsync_ == FsyncPolicy::OnSettle && detail::syncData(fd_.get()) != 0 &&
        errno != EINVAL) {  // EINVAL: the file (a pipe, a device) cannot be synced; nothing to do
      return detail::fileErrorFromErrno(path_, "cannot sync " + std::string(what));
    }
    return {};
  }

  std::string path_;
  detail::UniqueFd fd_;
  FsyncPolicy fsync_;
  bool partialLine_ = false;  // a record was cut short by a failed write
};

}  // namespace bgagent
