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
#include <bgagent/protocol/detail/output_parser_impl.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace bgagent {

/// The incremental parser. Feed it the file's bytes in order; read snapshot() at any time
/// between feeds.
class OutputParser {
 public:
  using EventHandler = std::function<void(const OutputEvent&)>;

  /// `sourceName` prefixes messages as "output file 'NAME' line N: ..." (empty: "line N: ...").
  explicit OutputParser(std::string sourceName = {}, ParserLimits limits = {})
      : state_(std::move(sourceName), limits) {}

  /// Calls `handler` for every record, free line and warning from now on. The handler runs on
  /// the feeding thread, inside feed(); it must not feed this parser. During the call,
  /// snapshot().tail and snapshot().progress may not yet hold the lines of the current feed.
  void setEventHandler(EventHandler handler) { state_.setEventHandler(std::move(handler)); }

  /// Interprets every line that `bytes` completes and holds back a trailing partial line (P2).
  /// Returns how many lines were completed.
  std::uint64_t feed(std::string_view bytes) { return state_.feed(bytes); }

  /// Starts over from byte 0 with a fresh state (the file was truncated or replaced, P26); the
  /// snapshot counts the restart.
  void restart() { state_.restart(); }

  const OutputSnapshot& snapshot() const noexcept { return state_.snapshot(); }
  const std::string& sourceName() const noexcept { return state_.sourceName(); }
  const ParserLimits& limits() const noexcept { return state_.limits(); }

  /// Bytes the parser holds in its own buffers (a held-back line, a RESULT being read): bounded
  /// by the limits whatever the input.
  std::size_t retainedBytes() const noexcept { return state_.retainedBytes(); }

 private:
  detail::OutputParserState state_;
};

/// Parses a whole file's text at once, with the same rules as feeding it in pieces.
OutputSnapshot parseOutput(std::string_view text, std::string sourceName = {},
                           ParserLimits limits = {});

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/protocol/detail/output_parser_inl.hpp>
#endif
