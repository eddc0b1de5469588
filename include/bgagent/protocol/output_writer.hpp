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

#include <bgagent/core/detail/unique_fd.hpp>
#include <bgagent/core/fsync_policy.hpp>
#include <bgagent/core/result.hpp>
#include <bgagent/protocol/agent_state.hpp>
#include <bgagent/protocol/protocol.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace bgagent {

namespace detail {
struct OutputWriterAccess;
}  // namespace detail

/// How the file is opened.
enum class OpenMode {
  CreateNew,  ///< O_EXCL: fail if the path exists (a planted file or symlink cannot redirect us)
  Append,     ///< create if missing, else append
};

/// How OutputWriter::open opens the file and when records reach the disk.
struct WriterOptions {
  OpenMode mode = OpenMode::CreateNew;        ///< a new file, or appending to one
  FsyncPolicy fsync = FsyncPolicy::OnSettle;  ///< whether endings are forced to disk
};

/// The writing side of an output file: one write() per record, errors as values.
class OutputWriter {
 public:
  /// Opens `path` for appending, mode 0600, never following a symlink. Errors: NotFound (no
  /// such directory), InvalidArgument (exists with CreateNew, a symlink, a directory, a NUL
  /// byte in the path), Io.
  static Result<OutputWriter> open(const std::filesystem::path& path, WriterOptions options = {});

  /// [START] with the current time, then `Task: description` and the `Writer:` line (this
  /// process's pid and host, the protocol version), as one record.
  Result<void> start(std::string_view description);

  /// The `Agent:` header line (P9), right after start(): the process that runs the agent when
  /// it is not this one, so a reader can follow it, stop it, and tell a reused pid from it. A
  /// `started` of 0 (unknown) is left out of the line.
  Result<void> agentProcess(const AgentProcessInfo& process);

  /// [PROGRESS] text. Start it with `NN%` or `k/n` to give a percentage.
  Result<void> progress(std::string_view text) {
    return writeMarker(protocol::kProgress, oneLine(text), false);
  }

  /// [HEARTBEAT] with the current time: tells idle-timeout watchers the agent is alive.
  Result<void> heartbeat() { return writeMarker(protocol::kHeartbeat, now(), false); }

  /// Free output: split into lines; a line that would read as a marker is indented by one space,
  /// so free text can never forge a record.
  Result<void> output(std::string_view text);

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
                      const std::optional<nlohmann::json>& value);

  /// [COMPLETE] with the current time: the record is closed.
  Result<void> complete() { return writeMarker(protocol::kComplete, now(), true); }

  /// The path the file was opened at.
  const std::string& path() const noexcept { return path_; }

 private:
  OutputWriter(std::string path, detail::UniqueFd fd, FsyncPolicy fsync)
      : path_(std::move(path)), fd_(std::move(fd)), fsync_(fsync) {}

  friend struct detail::OutputWriterAccess;

  static std::string resultRecord(const nlohmann::json& value);

  static std::string now();

  static std::string hostName();

  // A marker's text is one line: a line break inside it would end the record early.
  static std::string oneLine(std::string_view text);

  Result<void> writeMarker(std::string_view marker, const std::string& text, bool settles);

  Result<void> writeRecord(std::string_view record, std::string_view what, bool settles);

  std::string path_;
  detail::UniqueFd fd_;
  FsyncPolicy fsync_;
  bool partialLine_ = false;  // a record was cut short by a failed write
};

namespace detail {

/// What the runtime needs of a writer beyond its API: its descriptor, which the runtime reopens
/// as the stdout of an agent that writes its own file, locks while it follows that agent, and
/// reads the file through when the agent has ended.
struct OutputWriterAccess {
  static int descriptor(const OutputWriter& writer) noexcept { return writer.fd_.get(); }
  /// This machine's name as `Writer:` lines record it: what a reader compares them with.
  static std::string hostName() { return OutputWriter::hostName(); }
};

}  // namespace detail

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/protocol/output_writer_inl.hpp>
#endif
