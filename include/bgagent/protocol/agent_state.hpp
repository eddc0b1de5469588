// SPDX-License-Identifier: MIT
// bgagent/protocol/agent_state.hpp: everything known about an agent from its output file so far.
//
// Owns: WriterInfo and AgentProcessInfo (the header's Writer: and Agent: lines), OutputTail (a
// bounded tail of free output), OutputSnapshot (with the Status the file implies,
// docs/protocol.md "State"), the value OutputParser keeps up to date, and OutputEvent, what it
// reports line by line.
// Thread safety: value types. A snapshot is owned by one parser; copy it to share it.
#pragma once

#include <bgagent/core/error.hpp>
#include <bgagent/core/progress.hpp>
#include <bgagent/core/status.hpp>
#include <bgagent/protocol/detail/timestamp.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bgagent {

/// The wall clock of the timestamps an output file records ([START], [HEARTBEAT], [COMPLETE]).
using SystemTime = detail::SystemTime;

/// The header's `Writer:` line (P9): who writes the file, so a reader can tell if it still lives.
struct WriterInfo {
  std::int64_t pid = 0;   ///< 0 when unknown
  std::string host;       ///< empty when unknown
  int protocolMajor = 1;  ///< a file without `protocol=` is 1.0 (P10)
  int protocolMinor = 0;  ///< 0 when `protocol=` gives the major version only
  /// Equal when every field is.
  friend bool operator==(const WriterInfo&, const WriterInfo&) = default;
};

/// The header's `Agent:` line (P9): the process that runs the agent, when it is not the writer
/// (a process agent whose host relays its output). `started` tells a reused pid from it.
struct AgentProcessInfo {
  std::int64_t pid = 0;       ///< 0 when unknown
  std::int64_t group = 0;     ///< its process group; 0 when unknown
  std::uint64_t started = 0;  ///< its start in clock ticks after boot (/proc/PID/stat); 0 unknown
  /// Equal when every field is.
  friend bool operator==(const AgentProcessInfo&, const AgentProcessInfo&) = default;
};

/// The last `capacity` free-output lines, each cut to `lineBytes` bytes. A ring: pushing reuses
/// the storage of the line it drops, so a long run of output costs no allocation.
class OutputTail {
 public:
  /// Keeps up to `capacity` lines (none when 0), each cut to its first `lineBytes` bytes.
  OutputTail(std::size_t capacity, std::size_t lineBytes);

  /// Keeps `line`, cut to `lineBytes`, dropping the oldest line when the tail is full.
  void push(std::string_view line);

  /// Drops every kept line; the capacity stays.
  void clear() noexcept;

  /// How many lines are kept, at most `capacity`.
  std::size_t size() const noexcept { return size_; }
  /// Whether no line is kept.
  bool empty() const noexcept { return size_ == 0; }

  /// The i-th kept line, oldest first.
  const std::string& operator[](std::size_t index) const {
    return slots_[(next_ + capacity_ - size_ + index) % capacity_];
  }

  /// The kept lines, oldest first.
  std::vector<std::string> lines() const;

  /// Equal when both keep the same lines in the same order, whatever their capacities.
  friend bool operator==(const OutputTail& left, const OutputTail& right);

 private:
  std::vector<std::string> slots_;
  std::size_t capacity_;
  std::size_t lineBytes_;
  std::size_t next_ = 0;
  std::size_t size_ = 0;
};

/// Everything an output file has said so far: the value OutputParser keeps up to date, and
/// what OutputFile::snapshot(), WaitOutcome::snapshot and WaitOptions::onUpdate give.
struct OutputSnapshot {
  /// What the file implies: Pending before [START], Running after it, Succeeded at [COMPLETE]
  /// without a failure, Failed at the first failure (docs/protocol.md "State").
  Status status = Status::Pending;
  bool completed = false;  ///< [COMPLETE] seen (a Failed file may or may not be completed)
  /// The [START] timestamp; none before [START], or when it is not ISO-8601 UTC (a warning).
  std::optional<SystemTime> startedAt;
  /// The [COMPLETE] timestamp; none before [COMPLETE], or when it is not ISO-8601 UTC.
  std::optional<SystemTime> completedAt;
  /// The timestamp of the latest [HEARTBEAT] that carried one.
  std::optional<SystemTime> lastHeartbeatAt;
  std::uint64_t heartbeats = 0;  ///< [HEARTBEAT] lines read
  std::string description;       ///< the `Task:` line
  WriterInfo writer;             ///< the `Writer:` line; defaults when the file has none
  AgentProcessInfo agent;        ///< the `Agent:` line; defaults when the file has none
  Progress progress;             ///< the latest [PROGRESS] record
  /// How the agent's process ended, from the last [EXIT] record (P27): the exit status as a
  /// POSIX shell reports it, 0 to 255. None when the file has no valid one.
  std::optional<int> exitStatus;
  bool hasResult = false;          ///< a RESULT value was read (valid JSON, null included)
  nlohmann::json result;           ///< the last RESULT value; null when there is none
  std::optional<Error> error;      ///< why the file is Failed (the first failure, P24)
  std::uint64_t errorRecords = 0;  ///< [ERROR] lines read; the first one fails the file
  OutputTail tail{32, 512};        ///< the last free-output lines
  std::vector<Error> warnings;     ///< the first warnings (P24); more are only counted
  std::uint64_t warningCount = 0;  ///< every warning, those not kept in `warnings` included
  std::uint64_t lines = 0;         ///< complete lines read
  std::uint64_t bytes = 0;         ///< bytes read, pending ones included
  std::uint64_t pendingBytes = 0;  ///< bytes of a last line still waiting for its `\n` (P2)
  std::uint64_t restarts = 0;      ///< times the file was truncated or replaced (P26)

  /// Equal when every field is.
  friend bool operator==(const OutputSnapshot&, const OutputSnapshot&) = default;
};

/// What the parser interpreted, reported to an optional handler as each line is read.
enum class OutputEventKind {
  Started,     ///< [START]
  Progress,    ///< [PROGRESS]; text is the progress text
  Heartbeat,   ///< [HEARTBEAT]
  Result,      ///< a RESULT value was read (valid JSON); see snapshot().result
  AgentError,  ///< [ERROR]; text is the agent's message
  Completed,   ///< [COMPLETE]
  Output,      ///< a free-output line; text is the line
  Warning,     ///< a warning was recorded; text is its message
  Failed,      ///< the file became Failed; text is snapshot().error->message
  Exited,      ///< a valid [EXIT] record; text is its text (see snapshot().exitStatus)
};

/// One interpreted line. `text` is valid only during the handler call.
struct OutputEvent {
  OutputEventKind kind;  ///< what the line was read as
  std::uint64_t line;    ///< 1-based
  /// As OutputEventKind says; for Started, Heartbeat and Completed, the marker's timestamp as
  /// written; empty for Result.
  std::string_view text;
};

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/protocol/agent_state_inl.hpp>
#endif
