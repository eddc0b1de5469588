// SPDX-License-Identifier: MIT
// tests/fuzz/parser_fuzz.hpp: the OutputParser fuzz oracle, shared by the libFuzzer target
// (parser_fuzz.cpp) and the corpus replay test (parser_fuzz_replay_test.cpp).
//
// Input layout: byte 0 is the chunking seed (see ChunkPlan), the remaining bytes are the output
// file's text. An empty input is an empty file with seed 0.
// The oracle is differential (STYLE.md 17): under small limits (so that P4, P7, P14 and P24
// bound something) and under the spec's default limits, a one-shot parseOutput() and an
// OutputParser fed in seeded chunks, byte by byte (texts under 4 KiB), with empty feeds in
// between, after a restart() and with an event handler set must all give equal snapshots. Each
// snapshot must also satisfy the protocol's invariants (line counts, bounds, status rules).
// A violation throws ParserInvariantViolation naming the invariant, the limits and the chunking:
// the replay test reports it, the fuzz target turns it into a crash.
#pragma once

#include <algorithm>
#include <bgagent/protocol/output_parser.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bgagent::test {

/// Thrown by checkParserInvariants when the parser breaks its contract on an input.
class ParserInvariantViolation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// The chunk sizes a seed byte selects: the low 3 bits pick the largest chunk (1 to 4099
/// bytes), the high 5 bits seed a xorshift generator that draws each size in 1..largest.
class ChunkPlan {
 public:
  explicit ChunkPlan(std::uint8_t seed) : seed_(seed) {
    constexpr std::size_t kLargest[] = {1, 2, 3, 7, 16, 61, 256, 4099};
    largest_ = kLargest[seed & 7U];
  }

  /// Chunk sizes that add up to `textSize`.
  std::vector<std::size_t> sizesFor(std::size_t textSize) const {
    std::uint32_t state = 0x9E3779B9U ^ (static_cast<std::uint32_t>(seed_ >> 3U) * 0x01000193U);
    std::vector<std::size_t> sizes;
    for (std::size_t left = textSize; left > 0;) {
      state ^= state << 13U;
      state ^= state >> 17U;
      state ^= state << 5U;
      const std::size_t size = std::min<std::size_t>(left, 1 + state % largest_);
      sizes.push_back(size);
      left -= size;
    }
    return sizes;
  }

  /// "seed 0x2b (chunks of 1..16 bytes: 5+16+2+...)" for messages.
  std::string describe(std::size_t textSize) const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text = "seed 0x";
    text += kHex[seed_ >> 4U];
    text += kHex[seed_ & 15U];
    text += " (chunks of 1.." + std::to_string(largest_) + " bytes: ";
    const std::vector<std::size_t> sizes = sizesFor(textSize);
    constexpr std::size_t kShown = 24;
    for (std::size_t i = 0; i < std::min(sizes.size(), kShown); ++i) {
      if (i > 0) text += '+';
      text += std::to_string(sizes[i]);
    }
    if (sizes.size() > kShown) text += "+... in " + std::to_string(sizes.size()) + " chunks";
    return text + ")";
  }

 private:
  std::uint8_t seed_;
  std::size_t largest_ = 1;
};

namespace parser_fuzz {

/// Limits small enough that a short input reaches every bound.
inline ParserLimits smallLimits() {
  ParserLimits limits;
  limits.maxLineBytes = 64;
  limits.maxResultBytes = 256;
  limits.tailLines = 4;
  limits.tailLineBytes = 16;
  limits.maxWarnings = 4;
  return limits;
}

/// Texts below this size are also fed byte by byte.
inline constexpr std::size_t kByteByByteBelow = 4096;

inline constexpr std::string_view kSourceName = "fuzz.out";

/// `text` quoted for a message: printable ASCII as is, other bytes escaped, long texts cut.
inline std::string quotedBytes(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  constexpr std::size_t kShown = 120;
  std::string out = "'";
  for (const char c : text.substr(0, kShown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '\\' || byte == '\'') {
      out += '\\';
      out += c;
    } else if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += kHex[byte >> 4U];
      out += kHex[byte & 15U];
    }
  }
  out += '\'';
  if (text.size() > kShown) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

inline std::string shown(const nlohmann::json& value) {
  // RESULT strings may hold any bytes; replace keeps dump() from throwing on invalid UTF-8.
  return quotedBytes(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

inline std::string shown(const std::optional<Error>& error) {
  if (!error) return "none";
  return "{" + std::string(toString(error->code)) + ", line " + std::to_string(error->line) + ", " +
         quotedBytes(error->message) + "}";
}

inline std::string shown(const std::optional<SystemTime>& time) {
  return time ? std::to_string(time->time_since_epoch().count()) : std::string("none");
}

inline std::string shown(const std::optional<int>& value) {
  return value ? std::to_string(*value) : std::string("none");
}

inline std::string shown(const std::optional<double>& percent) {
  return percent ? std::to_string(*percent) : std::string("none");
}

inline std::string shown(const std::vector<Error>& errors) {
  std::string out = std::to_string(errors.size()) + " [";
  for (std::size_t i = 0; i < errors.size(); ++i) {
    if (i > 0) out += ", ";
    out += shown(std::optional<Error>(errors[i]));
  }
  return out + "]";
}

inline std::string shown(const OutputTail& tail) {
  std::string out = std::to_string(tail.size()) + " [";
  for (std::size_t i = 0; i < tail.size(); ++i) {
    if (i > 0) out += ", ";
    out += quotedBytes(tail[i]);
  }
  return out + "]";
}

inline std::string shown(std::string_view text) {
  return quotedBytes(text);
}
inline std::string shown(const std::string& text) {
  return quotedBytes(text);
}
inline std::string shown(std::uint64_t value) {
  return std::to_string(value);
}
inline std::string shown(std::int64_t value) {
  return std::to_string(value);
}
inline std::string shown(int value) {
  return std::to_string(value);
}
inline std::string shown(bool value) {
  return value ? "true" : "false";
}
inline std::string shown(Status status) {
  return std::string(toString(status));
}

/// The first field in which two snapshots differ, as "field: expected X, got Y".
inline std::string firstDifference(const OutputSnapshot& expected, const OutputSnapshot& got) {
  std::string difference;
  const auto compare = [&](std::string_view field, const auto& left, const auto& right) {
    if (difference.empty() && !(left == right)) {
      difference = std::string(field) + ": expected " + shown(left) + ", got " + shown(right);
    }
  };
  compare("status", expected.status, got.status);
  compare("error", expected.error, got.error);
  compare("completed", expected.completed, got.completed);
  compare("startedAt", expected.startedAt, got.startedAt);
  compare("completedAt", expected.completedAt, got.completedAt);
  compare("lastHeartbeatAt", expected.lastHeartbeatAt, got.lastHeartbeatAt);
  compare("heartbeats", expected.heartbeats, got.heartbeats);
  compare("description", expected.description, got.description);
  compare("writer.pid", expected.writer.pid, got.writer.pid);
  compare("writer.host", expected.writer.host, got.writer.host);
  compare("writer.protocolMajor", expected.writer.protocolMajor, got.writer.protocolMajor);
  compare("writer.protocolMinor", expected.writer.protocolMinor, got.writer.protocolMinor);
  compare("agent.pid", expected.agent.pid, got.agent.pid);
  compare("agent.group", expected.agent.group, got.agent.group);
  compare("agent.started", expected.agent.started, got.agent.started);
  compare("progress.text", expected.progress.text, got.progress.text);
  compare("progress.percent", expected.progress.percent, got.progress.percent);
  compare("progress.updates", expected.progress.updates, got.progress.updates);
  compare("exitStatus", expected.exitStatus, got.exitStatus);
  compare("hasResult", expected.hasResult, got.hasResult);
  compare("result", expected.result, got.result);
  compare("errorRecords", expected.errorRecords, got.errorRecords);
  compare("tail", expected.tail, got.tail);
  compare("warnings", expected.warnings, got.warnings);
  compare("warningCount", expected.warningCount, got.warningCount);
  compare("lines", expected.lines, got.lines);
  compare("bytes", expected.bytes, got.bytes);
  compare("pendingBytes", expected.pendingBytes, got.pendingBytes);
  compare("restarts", expected.restarts, got.restarts);
  return difference.empty() ? "operator== is false but no field differs" : difference;
}

/// Where a check runs: the limits, the parse that produced the snapshot and the chunking seed.
struct CheckContext {
  std::string_view limitsName;
  const ParserLimits& limits;
  std::string_view parse;
  const ChunkPlan& plan;
  std::string_view text;
};

[[noreturn]] inline void violated(const CheckContext& context, const std::string& what) {
  throw ParserInvariantViolation(
      "parser invariant violated: " + what + " [" + std::string(context.parse) + ", " +
      std::string(context.limitsName) + " limits, " + context.plan.describe(context.text.size()) +
      ", text of " + std::to_string(context.text.size()) + " bytes]");
}

inline void require(const CheckContext& context, bool holds, const std::string& what) {
  if (!holds) violated(context, what);
}

inline void requireEqual(const CheckContext& context, const OutputSnapshot& expected,
                         const OutputSnapshot& got) {
  if (!(expected == got)) {
    violated(context,
             "snapshot differs from the one-shot parse: " + firstDifference(expected, got));
  }
}

inline bool validLine(const Error& error, std::uint64_t lines) {
  return error.line >= 1 && error.line <= lines;
}

/// The invariants every snapshot of the whole `text` satisfies, whatever the input.
inline void checkSnapshot(const CheckContext& context, const OutputSnapshot& snapshot) {
  const ParserLimits& limits = context.limits;
  const std::string_view text = context.text;
  const std::size_t lastNewline = text.rfind('\n');
  const std::size_t pending =
      lastNewline == std::string_view::npos ? text.size() : text.size() - lastNewline - 1;
  const auto lines = static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'));

  // P1, P2: lines end at LF, a last line without one waits.
  require(context, snapshot.bytes == text.size(),
          "bytes is " + shown(snapshot.bytes) + ", the text has " + shown(text.size()));
  require(context, snapshot.pendingBytes <= snapshot.bytes, "pendingBytes > bytes");
  require(context, snapshot.pendingBytes == pending,
          "pendingBytes is " + shown(snapshot.pendingBytes) + ", the text ends with " +
              shown(pending) + " bytes after its last LF");
  require(context, snapshot.lines == lines,
          "lines is " + shown(snapshot.lines) + ", the text has " + shown(lines) + " LFs");

  // P4, P7, P24: memory is bounded whatever the input.
  require(context, snapshot.tail.size() <= limits.tailLines,
          "tail holds " + shown(snapshot.tail.size()) + " lines, more than tailLines");
  for (std::size_t i = 0; i < snapshot.tail.size(); ++i) {
    require(context, snapshot.tail[i].size() <= limits.tailLineBytes,
            "tail line " + quotedBytes(snapshot.tail[i]) + " is longer than tailLineBytes");
  }
  require(context, snapshot.warnings.size() <= limits.maxWarnings,
          "warnings holds " + shown(snapshot.warnings.size()) + ", more than maxWarnings");
  require(context, snapshot.warningCount >= snapshot.warnings.size(),
          "warningCount is below warnings.size()");
  require(context, snapshot.progress.text.size() <= limits.maxLineBytes,
          "progress.text of " + shown(snapshot.progress.text.size()) +
              " bytes is longer than maxLineBytes (P4): " + quotedBytes(snapshot.progress.text));
  require(context, snapshot.description.size() <= limits.maxLineBytes,
          "description is longer than maxLineBytes (P4)");

  // State table, P19, P21.
  const bool failed = snapshot.status == Status::Failed;
  require(context, failed == snapshot.error.has_value(),
          "status " + shown(snapshot.status) + " with error " + shown(snapshot.error));
  if (snapshot.status == Status::Succeeded) {
    require(context, snapshot.completed, "Succeeded without completed");
  }
  if (snapshot.completed && !failed) {
    require(context, snapshot.status == Status::Succeeded,
            "completed and not Failed, but " + shown(snapshot.status));
  }
  if (snapshot.status == Status::Pending) {
    require(context, !snapshot.completed && !snapshot.hasResult && snapshot.progress.updates == 0,
            "Pending with records after [START]");
  }
  // P18: an ERROR fails the file. P10: a major version other than 1 fails it.
  if (snapshot.errorRecords > 0) require(context, failed, "an [ERROR] record without Failed");
  if (snapshot.writer.protocolMajor != protocol::kMajorVersion) {
    require(context, failed,
            "protocol major " + shown(snapshot.writer.protocolMajor) + " without Failed (P10)");
  }
  // P11, P12, P13.
  if (snapshot.progress.percent) {
    require(context, *snapshot.progress.percent >= 0.0 && *snapshot.progress.percent <= 100.0,
            "progress.percent " + shown(snapshot.progress.percent) + " outside 0..100");
  }
  if (snapshot.heartbeats == 0) {
    require(context, !snapshot.lastHeartbeatAt, "lastHeartbeatAt without a heartbeat");
  }
  if (!snapshot.hasResult) require(context, snapshot.result.is_null(), "result without hasResult");
  // P27.
  if (snapshot.exitStatus) {
    require(context, *snapshot.exitStatus >= 0 && *snapshot.exitStatus <= 255,
            "exitStatus " + shown(snapshot.exitStatus) + " outside 0..255");
    require(context, snapshot.status != Status::Pending, "exitStatus before [START]");
  }
  // P3: every error names a 1-based line of the file.
  if (snapshot.error) {
    require(context, validLine(*snapshot.error, snapshot.lines),
            "error names line " + shown(snapshot.error->line) + " of " + shown(snapshot.lines));
  }
  for (const Error& warning : snapshot.warnings) {
    require(context, validLine(warning, snapshot.lines),
            "warning names line " + shown(warning.line) + " of " + shown(snapshot.lines) + ": " +
                quotedBytes(warning.message));
  }
}

/// Feeds `text` in the chunks `sizes` lists, with an empty (null) feed before each chunk.
inline void feedInChunks(OutputParser& parser, std::string_view text,
                         const std::vector<std::size_t>& sizes) {
  std::size_t at = 0;
  for (const std::size_t size : sizes) {
    parser.feed(std::string_view{});
    parser.feed(text.substr(at, size));
    at += size;
  }
}

/// How many events of each kind a handler saw, and whether their lines were in order.
struct EventCounts {
  static constexpr std::size_t kKinds = static_cast<std::size_t>(OutputEventKind::Exited) + 1;
  std::uint64_t byKind[kKinds] = {};
  std::uint64_t lastLine = 0;
  bool linesInOrder = true;
  std::size_t longestOutput = 0;

  std::uint64_t operator[](OutputEventKind kind) const {
    return byKind[static_cast<std::size_t>(kind)];
  }
};

/// Events must agree with the snapshot they built.
inline void checkEvents(const CheckContext& context, const EventCounts& events,
                        const OutputSnapshot& snapshot) {
  require(context, events.linesInOrder, "event lines go backwards");
  require(context, events.lastLine <= snapshot.lines, "an event names a line not yet read");
  require(context, events[OutputEventKind::Started] <= 1, "more than one Started event");
  require(context, events[OutputEventKind::Progress] == snapshot.progress.updates,
          "Progress events differ from progress.updates");
  require(context, events[OutputEventKind::Heartbeat] == snapshot.heartbeats,
          "Heartbeat events differ from heartbeats");
  require(context, events[OutputEventKind::AgentError] == snapshot.errorRecords,
          "AgentError events differ from errorRecords");
  require(context, events[OutputEventKind::Completed] == (snapshot.completed ? 1U : 0U),
          "Completed events differ from completed");
  require(context, events[OutputEventKind::Warning] == snapshot.warnings.size(),
          "Warning events differ from the warnings kept");
  require(context, (events[OutputEventKind::Exited] > 0) == snapshot.exitStatus.has_value(),
          "Exited events and exitStatus disagree");
  require(context, events[OutputEventKind::Failed] == (snapshot.status == Status::Failed ? 1U : 0U),
          "Failed events differ from the status");
  require(context, events[OutputEventKind::Output] >= snapshot.tail.size(),
          "fewer Output events than tail lines");
  require(context, events.longestOutput <= context.limits.maxLineBytes,
          "an Output event of " + shown(events.longestOutput) +
              " bytes is longer than maxLineBytes (P4)");
}

/// Every parse of `text` under `limits` against the one-shot parse.
inline void checkUnderLimits(std::string_view text, const ChunkPlan& plan,
                             std::string_view limitsName, const ParserLimits& limits) {
  const std::vector<std::size_t> sizes = plan.sizesFor(text.size());
  const OutputSnapshot oneShot = parseOutput(text, std::string(kSourceName), limits);

  {
    const CheckContext context{limitsName, limits, "seeded chunks", plan, text};
    OutputParser parser{std::string(kSourceName), limits};
    feedInChunks(parser, text, sizes);
    requireEqual(context, oneShot, parser.snapshot());
  }

  if (text.size() < kByteByByteBelow) {
    const CheckContext context{limitsName, limits, "byte by byte", plan, text};
    OutputParser parser{std::string(kSourceName), limits};
    for (std::size_t at = 0; at < text.size(); ++at) parser.feed(text.substr(at, 1));
    requireEqual(context, oneShot, parser.snapshot());
  }

  {
    // P26: after restart() the parser reads the file afresh and only counts the restart.
    const CheckContext context{limitsName, limits, "seeded chunks after a restart", plan, text};
    OutputParser parser{std::string(kSourceName), limits};
    const std::string_view firstHalf = text.substr(0, text.size() / 2);
    feedInChunks(parser, firstHalf, plan.sizesFor(firstHalf.size()));
    parser.restart();
    feedInChunks(parser, text, sizes);
    require(context, parser.snapshot().restarts == 1, "restarts is not 1 after one restart");
    OutputSnapshot expected = oneShot;
    expected.restarts = 1;
    requireEqual(context, expected, parser.snapshot());
  }

  {
    // An event handler observes; it must not change what is read.
    const CheckContext context{limitsName, limits, "seeded chunks with an event handler", plan,
                               text};
    OutputParser parser{std::string(kSourceName), limits};
    EventCounts events;
    parser.setEventHandler([&events](const OutputEvent& event) {
      ++events.byKind[static_cast<std::size_t>(event.kind)];
      if (event.line < events.lastLine) events.linesInOrder = false;
      events.lastLine = event.line;
      if (event.kind == OutputEventKind::Output) {
        events.longestOutput = std::max(events.longestOutput, event.text.size());
      }
    });
    feedInChunks(parser, text, sizes);
    requireEqual(context, oneShot, parser.snapshot());
    checkEvents(context, events, parser.snapshot());
  }

  // Last, so that a chunking difference is reported as such rather than as the broken bound
  // it may come with.
  checkSnapshot({limitsName, limits, "one-shot parse", plan, text}, oneShot);
}

}  // namespace parser_fuzz

/// The oracle: throws ParserInvariantViolation when any parse of the input breaks an invariant
/// or differs from the one-shot parse. `data[0]` is the chunking seed, the rest is the text.
inline void checkParserInvariants(const std::uint8_t* data, std::size_t size) {
  const ChunkPlan plan(size > 0 ? data[0] : std::uint8_t{0});
  const std::string_view text =
      size > 0 ? std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1)
               : std::string_view{};
  parser_fuzz::checkUnderLimits(text, plan, "small", parser_fuzz::smallLimits());
  parser_fuzz::checkUnderLimits(text, plan, "default", ParserLimits{});
}

}  // namespace bgagent::test
