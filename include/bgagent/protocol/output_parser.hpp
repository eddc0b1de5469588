// SPDX-License-Identifier: MIT
// bgagent/protocol/output_parser.hpp: the incremental output-file parser (docs/protocol.md).
//
// Owns: OutputParser, a pure state machine: bytes in, in any chunking, an up-to-date
// OutputSnapshot and optional events out. No I/O, so it is fuzzed and benchmarked alone;
// OutputFile feeds it from disk. Every chunking of the same bytes yields the same snapshot.
// Memory is bounded by ParserLimits whatever the input (P4, P7, P14, P24).
// Thread safety: none; one parser belongs to one thread at a time.
// Example:
//   bgagent::OutputParser parser("build.out");
//   parser.feed(bytes);
//   if (parser.snapshot().status == bgagent::Status::Failed) report(*parser.snapshot().error);
#pragma once

#include <bgagent/protocol/agent_state.hpp>
#include <bgagent/protocol/detail/json_value_scanner.hpp>
#include <bgagent/protocol/protocol.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bgagent {

/// The incremental parser. Feed it the file's bytes in order; read snapshot() at any time
/// between feeds.
class OutputParser {
 public:
  /// Called with each interpreted line; see setEventHandler().
  using EventHandler = std::function<void(const OutputEvent&)>;

  /// `sourceName` prefixes messages as "output file 'NAME' line N: ..." (empty: "line N: ...").
  explicit OutputParser(std::string sourceName = {}, ParserLimits limits = {});

  /// Calls `handler` for every record, free line and warning from now on. The handler runs on
  /// the feeding thread, inside feed(); it must not feed this parser. During the call,
  /// snapshot().tail and snapshot().progress may not yet hold the lines of the current feed.
  void setEventHandler(EventHandler handler) { handler_ = std::move(handler); }

  /// Interprets every line that `bytes` completes and holds back a trailing partial line (P2).
  /// Returns how many lines were completed.
  std::uint64_t feed(std::string_view bytes);

  /// Starts over from byte 0 with a fresh state (the file was truncated or replaced, P26); the
  /// snapshot counts the restart.
  void restart();

  /// Everything the lines fed so far have said.
  const OutputSnapshot& snapshot() const noexcept { return snapshot_; }
  /// The name given at construction, which messages carry.
  const std::string& sourceName() const noexcept { return sourceName_; }
  /// The limits in force: those given, with maxLineBytes and maxResultBytes at least 16.
  const ParserLimits& limits() const noexcept { return limits_; }

  /// Bytes the parser holds in its own buffers (a held-back line, a RESULT being read): bounded
  /// by the limits whatever the input.
  std::size_t retainedBytes() const noexcept { return carry_.capacity() + resultText_.capacity(); }

 private:
  // The state machine behind the calls above; rule numbers (P1...) refer to docs/protocol.md.

  // The limits kept: maxLineBytes and maxResultBytes at least 16 (see inResultContext).
  static ParserLimits withFloors(ParserLimits limits) noexcept;

  enum class Phase { BeforeStart, Header, Body, InResult, SkippingResult, Closed };

  static const char* findNewline(const char* from, const char* end) noexcept;

  // Lines that may carry a RESULT value are bounded by maxResultBytes (P14), all others by
  // maxLineBytes (P4). Both parse paths (whole line in one chunk, or held back across chunks)
  // ask this, so the chunking never changes what is kept.
  // The decision needs only a line's first 12 bytes (the longest tag and its space); limits
  // keep maxLineBytes >= 16, so a held-back line always has them when it is asked.
  bool inResultContext(std::string_view lineStart) const noexcept;

  void holdBack(const char* from, const char* to);

  void interpret(std::string_view line, bool alreadyCut);

  void interpretMarker(protocol::Marker marker, std::string_view text);
  void exitRecord(std::string_view text);  // P27

  // P9: `Task:`, `Writer:` and `Agent:` right after [START], each once. False ends the header.
  bool readHeaderLine(std::string_view line);

  // Calls onField(key, value) for each `key=value` of a header line or an [EXIT] record; other
  // words are skipped.
  template <typename OnField>
  static void readHeaderFields(std::string_view fields, OnField onField);

  // 1 to INT32_MAX, else a warning naming `what` and 0.
  std::int64_t readProcessId(std::string_view what, std::string_view value);

  void readProtocolVersion(std::string_view value);  // P10

  void beginResultValue(std::string_view text);

  bool resultTooLarge(std::size_t lineBytes);

  void continueResult(std::string_view line);

  void appendResultLine(std::string_view line);

  void parseResult();

  void failResult(const std::string& message, std::uint64_t line);

  void endResult();

  // nlohmann reports the byte where it stopped; the file line is the value's first line plus
  // the line breaks before that byte (a final one excluded: end of input is on the last line).
  std::uint64_t lineOfByte(std::size_t byte) const noexcept;

  // "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error ..." and
  // "[json.exception.out_of_range.406] number overflow parsing '1e400'" lose their prefixes: the
  // message names the file's line itself.
  static std::string withoutJsonPrefix(std::string_view what);

  std::optional<SystemTime> readTimestamp(std::string_view text, protocol::Marker marker);

  void freeLine(std::string_view line);

  // Free lines are copied into the tail once per feed, and only the last tailLines of them:
  // a 64 KiB chunk of log lines costs a memchr per line, not a copy per line.
  // Only the last PROGRESS of a feed reaches the snapshot, so its text is copied and its
  // percentage computed once per feed, not once per line (marker-dense output is mostly this).
  void progressLine(std::string_view text);

  void flushDeferredTail();

  Error makeError(ErrorCode code, const std::string& what, std::uint64_t line) const;

  void fail(ErrorCode code, const std::string& what, std::uint64_t line = 0);

  void warn(const std::string& what, std::uint64_t line = 0);

  void emit(OutputEventKind kind, std::string_view text);

  static bool isBlank(std::string_view text) noexcept;

  std::string sourceName_;
  ParserLimits limits_;
  EventHandler handler_;
  OutputSnapshot snapshot_;
  Phase phase_ = Phase::BeforeStart;
  std::uint64_t startLine_ = 0;
  bool sawTask_ = false;
  bool sawWriter_ = false;
  bool sawAgent_ = false;

  // The line held back until its '\n' arrives (P2), cut at its bound (P4, P14).
  std::string carry_;
  bool carryCut_ = false;

  // The RESULT being read (P13).
  std::string resultText_;
  detail::JsonValueScanner scanner_{limits_.maxResultDepth};
  bool valueStarted_ = false;
  std::uint64_t resultLine_ = 0;  // the [RESULT] line
  std::uint64_t valueLine_ = 0;   // the line the value starts on

  std::string_view deferredProgress_;  // the feed's last PROGRESS text, copied at its end
  bool hasDeferredProgress_ = false;
  std::vector<std::string_view> deferredTail_;
  std::size_t deferredNext_ = 0;
  std::size_t deferredCount_ = 0;
};

/// Parses a whole file's text at once, with the same rules as feeding it in pieces.
OutputSnapshot parseOutput(std::string_view text, std::string sourceName = {},
                           ParserLimits limits = {});

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/protocol/output_parser_inl.hpp>
#endif
