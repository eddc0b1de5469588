// SPDX-License-Identifier: MIT
// bgagent/protocol/output_parser_inl.hpp: the bodies of output_parser.hpp's functions
// (inline, or built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/protocol/output_parser.hpp>
// What the bodies use besides their header:
#include <algorithm>
#include <bgagent/protocol/detail/progress_text.hpp>
#include <bgagent/protocol/detail/timestamp.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace bgagent {

BGAGENT_INLINE OutputParser::OutputParser(std::string sourceName, ParserLimits limits)
    : sourceName_(std::move(sourceName)),
      limits_(withFloors(limits)),
      deferredTail_(limits_.tailLines) {
  snapshot_.tail = OutputTail(limits_.tailLines, limits_.tailLineBytes);
}

BGAGENT_INLINE ParserLimits OutputParser::withFloors(ParserLimits limits) noexcept {
  limits.maxLineBytes = std::max<std::size_t>(limits.maxLineBytes, 16);
  limits.maxResultBytes = std::max<std::size_t>(limits.maxResultBytes, 16);
  return limits;
}

BGAGENT_INLINE void OutputParser::restart() {
  const std::uint64_t restarts = snapshot_.restarts + 1;
  snapshot_ = OutputSnapshot{};
  snapshot_.tail = OutputTail(limits_.tailLines, limits_.tailLineBytes);
  snapshot_.restarts = restarts;
  phase_ = Phase::BeforeStart;
  startLine_ = 0;
  sawTask_ = sawWriter_ = sawAgent_ = false;
  endResult();
  carry_.clear();
  carryCut_ = false;
  deferredCount_ = 0;
  hasDeferredProgress_ = false;
}

BGAGENT_INLINE std::uint64_t OutputParser::feed(std::string_view bytes) {
  if (bytes.empty()) return 0;
  // The deferred tail and progress point into `bytes`: if an event handler throws out of
  // this call, the views must not outlive it.
  struct DropDeferredOnThrow {
    OutputParser& state;
    int exceptions = std::uncaught_exceptions();
    ~DropDeferredOnThrow() {
      if (std::uncaught_exceptions() > exceptions) {
        state.deferredCount_ = 0;
        state.hasDeferredProgress_ = false;
      }
    }
  } guard{*this};
  const std::uint64_t linesBefore = snapshot_.lines;
  snapshot_.bytes += bytes.size();
  const char* cursor = bytes.data();
  const char* const end = cursor + bytes.size();
  bool carryConsumed = false;

  if (snapshot_.pendingBytes > 0) {
    // The first line of this chunk completes the line held back by the previous feed (P2).
    const char* newline = findNewline(cursor, end);
    if (newline == nullptr) {
      holdBack(cursor, end);
      return 0;
    }
    holdBack(cursor, newline);
    cursor = newline + 1;
    snapshot_.pendingBytes = 0;
    ++snapshot_.lines;
    interpret(carry_, carryCut_);
    carryConsumed = true;
  }

  while (cursor < end) {
    const char* newline = findNewline(cursor, end);
    if (newline == nullptr) break;
    std::string_view line(cursor, static_cast<std::size_t>(newline - cursor));
    cursor = newline + 1;
    ++snapshot_.lines;
    // The hot paths: a free line in the body (P7), the bulk of any log-heavy file, and a
    // PROGRESS line, the bulk of a marker-dense one.
    if ((phase_ == Phase::Body || phase_ == Phase::BeforeStart) &&
        line.size() <= limits_.maxLineBytes) {
      // P1 for these paths only: interpret() below removes the CR itself, once.
      std::string_view clean = line;
      if (!clean.empty() && clean.back() == '\r') clean.remove_suffix(1);
      if (clean.empty() || clean[0] != '[') {
        freeLine(clean);
        continue;
      }
      if (phase_ == Phase::Body && clean.starts_with(protocol::kProgress) &&
          (clean.size() == protocol::kProgress.size() ||
           clean[protocol::kProgress.size()] == ' ')) {
        progressLine(clean.substr(std::min(clean.size(), protocol::kProgress.size() + 1)));
        continue;
      }
    }
    interpret(line, false);
  }

  // The deferred tail may point into carry_, so it is flushed before carry_ changes.
  flushDeferredTail();
  if (carryConsumed) {
    carry_.clear();
    carryCut_ = false;
  }
  if (cursor < end) holdBack(cursor, end);
  return snapshot_.lines - linesBefore;
}

BGAGENT_INLINE const char* OutputParser::findNewline(const char* from, const char* end) noexcept {
  return static_cast<const char*>(std::memchr(from, '\n', static_cast<std::size_t>(end - from)));
}

BGAGENT_INLINE bool OutputParser::inResultContext(std::string_view lineStart) const noexcept {
  std::string_view text;
  const std::optional<protocol::Marker> marker = protocol::markerOf(lineStart, text);
  if (!marker) return phase_ == Phase::InResult;  // a line of the value being read
  return *marker == protocol::Marker::Result && lineStart.size() > protocol::kResult.size();
}

BGAGENT_INLINE void OutputParser::holdBack(const char* from, const char* to) {
  const auto count = static_cast<std::size_t>(to - from);
  snapshot_.pendingBytes += count;
  if (carryCut_) return;
  std::size_t limit = limits_.maxLineBytes;
  if (carry_.size() + count > limit) {
    std::string lineStart = carry_.substr(0, 16);
    lineStart.append(from, std::min(count, 16 - lineStart.size()));
    if (inResultContext(lineStart)) limit = limits_.maxResultBytes + protocol::kResult.size() + 2;
  }
  const std::size_t room = limit > carry_.size() ? limit - carry_.size() : 0;
  carry_.append(from, std::min(room, count));
  if (count > room) carryCut_ = true;
}

BGAGENT_INLINE void OutputParser::interpret(std::string_view line, bool alreadyCut) {
  if (!inResultContext(line) && (alreadyCut || line.size() > limits_.maxLineBytes)) {
    warn("line is longer than " + std::to_string(limits_.maxLineBytes) +
         " bytes; the rest of it was skipped");
    line = line.substr(0, limits_.maxLineBytes);
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // P1

  std::string_view text;
  const std::optional<protocol::Marker> marker = protocol::markerOf(line, text);
  switch (phase_) {
    case Phase::Closed:
      // The agent's launcher writes [EXIT] after whatever the agent wrote (P27).
      if (marker == protocol::Marker::Exit) {
        exitRecord(text);
        return;
      }
      warn("output after [COMPLETE] is ignored");  // P19
      return;
    case Phase::SkippingResult:
      if (!marker) return;  // the rest of an oversized RESULT (P14)
      phase_ = Phase::Body;
      break;
    case Phase::InResult:
      if (!marker) {
        continueResult(line);
        return;
      }
      parseResult();  // P15: a marker line ends an unfinished RESULT
      phase_ = Phase::Body;
      break;
    case Phase::Header:
      if (!marker && readHeaderLine(line)) return;
      phase_ = Phase::Body;
      break;
    case Phase::BeforeStart:
    case Phase::Body:
      break;
  }
  if (marker) {
    interpretMarker(*marker, text);
  } else {
    freeLine(line);
  }
}

BGAGENT_INLINE void OutputParser::interpretMarker(protocol::Marker marker, std::string_view text) {
  using protocol::Marker;
  if (phase_ == Phase::BeforeStart && marker != Marker::Start) {
    fail(ErrorCode::MalformedOutput,
         std::string(protocol::spelling(marker)) + " before " + std::string(protocol::kStart));
    return;  // P20
  }
  switch (marker) {
    case Marker::Start:
      if (phase_ != Phase::BeforeStart) {
        fail(ErrorCode::MalformedOutput,
             "second [START] (the first is on line " + std::to_string(startLine_) + ")");
        return;
      }
      startLine_ = snapshot_.lines;
      phase_ = Phase::Header;
      snapshot_.startedAt = readTimestamp(text, marker);
      if (snapshot_.status == Status::Pending) snapshot_.status = Status::Running;
      emit(OutputEventKind::Started, text);
      return;
    case Marker::Progress:
      progressLine(text);
      return;
    case Marker::Heartbeat:
      ++snapshot_.heartbeats;
      if (!text.empty()) snapshot_.lastHeartbeatAt = readTimestamp(text, marker);
      emit(OutputEventKind::Heartbeat, text);
      return;
    case Marker::Result:
      phase_ = Phase::InResult;
      resultLine_ = snapshot_.lines;
      if (!isBlank(text)) beginResultValue(text);
      return;
    case Marker::Error:
      ++snapshot_.errorRecords;
      emit(OutputEventKind::AgentError, text);
      if (snapshot_.status != Status::Failed) {
        fail(ErrorCode::AgentFailed, "agent reported an error: " + std::string(text));
      }
      return;
    case Marker::Complete:
      phase_ = Phase::Closed;
      snapshot_.completed = true;
      snapshot_.completedAt = readTimestamp(text, marker);
      if (snapshot_.status != Status::Failed) snapshot_.status = Status::Succeeded;
      emit(OutputEventKind::Completed, text);
      return;
    case Marker::Exit:
      exitRecord(text);
      return;
  }
}

BGAGENT_INLINE void OutputParser::exitRecord(std::string_view text) {
  std::optional<std::int64_t> status;
  readHeaderFields(text, [&](std::string_view key, std::string_view value) {
    if (key == protocol::kExitStatusKey) status = detail::parseDecimal(value);
  });
  if (!status || *status < 0 || *status > 255) {
    warn(std::string(protocol::kExit) + " has no " + std::string(protocol::kExitStatusKey) +
         " from 0 to 255: '" + std::string(text) + "'");
    return;
  }
  snapshot_.exitStatus = static_cast<int>(*status);
  emit(OutputEventKind::Exited, text);
}

template <typename OnField>
void OutputParser::readHeaderFields(std::string_view fields, OnField onField) {
  while (!fields.empty()) {
    const std::size_t space = fields.find(' ');
    const std::string_view field = fields.substr(0, space);
    fields = space == std::string_view::npos ? std::string_view{} : fields.substr(space + 1);
    const std::size_t equals = field.find('=');
    if (equals != std::string_view::npos)
      onField(field.substr(0, equals), field.substr(equals + 1));
  }
}

BGAGENT_INLINE bool OutputParser::readHeaderLine(std::string_view line) {
  if (!sawTask_ && (line == protocol::kTaskKey || line.starts_with("Task: "))) {
    sawTask_ = true;
    snapshot_.description.assign(line.substr(std::min(line.size(), protocol::kTaskKey.size() + 1)));
    return true;
  }
  if (!sawWriter_ && line.starts_with("Writer: ")) {
    sawWriter_ = true;
    readHeaderFields(line.substr(protocol::kWriterKey.size() + 1), [&](auto key, auto value) {
      if (key == "pid") {
        snapshot_.writer.pid = readProcessId("Writer pid", value);
      } else if (key == "host") {
        snapshot_.writer.host.assign(value);
      } else if (key == "protocol") {
        readProtocolVersion(value);
      }
    });
    return true;
  }
  if (!sawAgent_ && line.starts_with("Agent: ")) {
    sawAgent_ = true;
    readHeaderFields(line.substr(protocol::kAgentKey.size() + 1), [&](auto key, auto value) {
      if (key == "pid") {
        snapshot_.agent.pid = readProcessId("Agent pid", value);
      } else if (key == "group") {
        snapshot_.agent.group = readProcessId("Agent group", value);
      } else if (key == "started") {
        const std::optional<std::int64_t> ticks = detail::parseDecimal(value);
        if (ticks && *ticks > 0) {
          snapshot_.agent.started = static_cast<std::uint64_t>(*ticks);
        } else {
          warn("Agent start time '" + std::string(value) + "' is not a number of clock ticks");
        }
      }
    });
    return true;
  }
  return false;
}

BGAGENT_INLINE std::int64_t OutputParser::readProcessId(std::string_view what,
                                                        std::string_view value) {
  const std::optional<std::int64_t> pid = detail::parseDecimal(value);
  // A pid_t is 32 bits: a larger number would be cast to another process's id.
  if (pid && *pid > 0 && *pid <= std::numeric_limits<std::int32_t>::max()) return *pid;
  warn(std::string(what) + " '" + std::string(value) + "' is not a process id");
  return 0;
}

BGAGENT_INLINE void OutputParser::readProtocolVersion(std::string_view value) {
  const std::size_t dot = value.find('.');
  const std::optional<std::int64_t> major = detail::parseDecimal(value.substr(0, dot));
  const std::optional<std::int64_t> minor = dot == std::string_view::npos
                                                ? std::optional<std::int64_t>(0)
                                                : detail::parseDecimal(value.substr(dot + 1));
  if (!major || !minor || *major > 999 || *minor > 999) {
    fail(ErrorCode::MalformedOutput, "protocol '" + std::string(value) + "' is not MAJOR.MINOR");
    return;
  }
  snapshot_.writer.protocolMajor = static_cast<int>(*major);
  snapshot_.writer.protocolMinor = static_cast<int>(*minor);
  if (*major != protocol::kMajorVersion) {
    fail(ErrorCode::MalformedOutput, "protocol " + std::string(value) +
                                         " is not supported (this reader reads " +
                                         std::to_string(protocol::kMajorVersion) + ".x)");
  }
}

BGAGENT_INLINE void OutputParser::beginResultValue(std::string_view text) {
  valueStarted_ = true;
  valueLine_ = snapshot_.lines;
  const std::size_t first = text.find_first_not_of(" \t\r");
  if (text[first] != '{' && text[first] != '[') {
    phase_ = Phase::Body;  // a scalar ends with its line (P13)
    if (resultTooLarge(text.size())) return;
    resultText_.assign(text);
    parseResult();
    return;
  }
  appendResultLine(text);
}

BGAGENT_INLINE bool OutputParser::resultTooLarge(std::size_t lineBytes) {
  if (resultText_.size() + lineBytes + 1 <= limits_.maxResultBytes) return false;
  fail(ErrorCode::MalformedOutput,
       "RESULT is larger than " + std::to_string(limits_.maxResultBytes) + " bytes", valueLine_);
  endResult();
  std::string().swap(resultText_);  // give the memory back
  return true;
}

BGAGENT_INLINE void OutputParser::continueResult(std::string_view line) {
  if (!valueStarted_) {
    if (!isBlank(line)) beginResultValue(line);
    return;
  }
  appendResultLine(line);
}

BGAGENT_INLINE void OutputParser::appendResultLine(std::string_view line) {
  if (resultTooLarge(line.size())) {
    phase_ = Phase::SkippingResult;  // P14
    return;
  }
  const std::size_t lineStart = resultText_.size();
  resultText_.append(line);
  const std::size_t valueEnd = scanner_.scan(line);
  if (scanner_.tooDeep()) {
    fail(ErrorCode::InvalidResult,
         "RESULT nests deeper than " + std::to_string(limits_.maxResultDepth) + " levels",
         snapshot_.lines);
    endResult();
    phase_ = Phase::SkippingResult;
    return;
  }
  if (valueEnd != detail::JsonValueScanner::kNotEnded) {
    phase_ = Phase::Body;
    if (!isBlank(line.substr(valueEnd))) {
      failResult("RESULT is not valid JSON: unexpected text after the value", snapshot_.lines);
      return;
    }
    resultText_.resize(lineStart + valueEnd);
    parseResult();
    return;
  }
  resultText_.push_back('\n');
  if (scanner_.inString()) {
    parseResult();  // a raw line break inside a string: invalid, and nlohmann says why
    phase_ = Phase::Body;
  }
}

BGAGENT_INLINE void OutputParser::parseResult() {
  try {
    snapshot_.result = nlohmann::json::parse(resultText_);
    snapshot_.hasResult = true;
    emit(OutputEventKind::Result, {});
    const auto& result = snapshot_.result;
    if (result.is_object()) {
      const auto success = result.find("success");
      if (success != result.end() && success->is_boolean() && !success->get<bool>()) {
        std::string message = "RESULT reports success=false";  // P23
        for (const char* key : {"error", "details"}) {
          const auto detail = result.find(key);
          if (detail != result.end() && detail->is_string()) {
            message += ": " + detail->get<std::string>();
            break;
          }
        }
        fail(ErrorCode::AgentFailed, message, valueStarted_ ? valueLine_ : resultLine_);
      }
    }
  } catch (const nlohmann::json::parse_error& error) {
    failResult("RESULT is not valid JSON: " + withoutJsonPrefix(error.what()),
               lineOfByte(error.byte));
  } catch (const nlohmann::json::exception& error) {
    // out_of_range: a number too large for a double ("number overflow parsing '1e400'").
    failResult("RESULT is not valid JSON: " + withoutJsonPrefix(error.what()),
               valueStarted_ ? valueLine_ : resultLine_);
  }
  endResult();
}

BGAGENT_INLINE void OutputParser::failResult(const std::string& message, std::uint64_t line) {
  // The error names the RESULT's own line, where a reader starts looking (P16); the line where
  // the JSON parser stopped follows when it is another.
  fail(ErrorCode::InvalidResult,
       line == resultLine_
           ? message
           : message + " (the JSON parser stopped on line " + std::to_string(line) + ")",
       resultLine_);
  endResult();
}

BGAGENT_INLINE void OutputParser::endResult() {
  resultText_.clear();
  if (resultText_.capacity() > 64 * 1024) std::string().swap(resultText_);  // memory back
  scanner_.reset();
  valueStarted_ = false;
}

BGAGENT_INLINE std::uint64_t OutputParser::lineOfByte(std::size_t byte) const noexcept {
  if (!valueStarted_) return resultLine_;
  std::size_t end = std::min(byte > 0 ? byte - 1 : 0, resultText_.size());
  if (end == resultText_.size() && end > 0 && resultText_[end - 1] == '\n') --end;
  const auto breaks =
      std::count(resultText_.begin(), resultText_.begin() + static_cast<std::ptrdiff_t>(end), '\n');
  return valueLine_ + static_cast<std::uint64_t>(breaks);
}

BGAGENT_INLINE std::string OutputParser::withoutJsonPrefix(std::string_view what) {
  if (what.starts_with("[json.exception.")) {
    const std::size_t bracket = what.find("] ");
    if (bracket != std::string_view::npos) what.remove_prefix(bracket + 2);
  }
  if (what.starts_with("parse error")) {
    const std::size_t colon = what.find(": ");
    if (colon != std::string_view::npos) what.remove_prefix(colon + 2);
  }
  return std::string(what);
}

BGAGENT_INLINE std::optional<SystemTime> OutputParser::readTimestamp(std::string_view text,
                                                                     protocol::Marker marker) {
  std::optional<SystemTime> time = detail::parseTimestamp(text);
  if (!time) {
    warn(std::string(protocol::spelling(marker)) + " timestamp '" + std::string(text) +
         "' is not ISO-8601 UTC");
  }
  return time;
}

BGAGENT_INLINE void OutputParser::freeLine(std::string_view line) {
  if (!deferredTail_.empty()) {
    deferredTail_[deferredNext_] = line;
    deferredNext_ = (deferredNext_ + 1) % deferredTail_.size();
    if (deferredCount_ < deferredTail_.size()) ++deferredCount_;
  }
  if (handler_) emit(OutputEventKind::Output, line);
}

BGAGENT_INLINE void OutputParser::progressLine(std::string_view text) {
  deferredProgress_ = text;
  hasDeferredProgress_ = true;
  ++snapshot_.progress.updates;
  emit(OutputEventKind::Progress, text);
}

BGAGENT_INLINE void OutputParser::flushDeferredTail() {
  if (hasDeferredProgress_) {
    snapshot_.progress.text.assign(deferredProgress_);
    snapshot_.progress.percent = detail::percentOf(deferredProgress_);
    hasDeferredProgress_ = false;
  }
  const std::size_t capacity = deferredTail_.size();
  for (std::size_t i = 0; i < deferredCount_; ++i) {
    snapshot_.tail.push(deferredTail_[(deferredNext_ + capacity - deferredCount_ + i) % capacity]);
  }
  deferredCount_ = 0;
}

BGAGENT_INLINE Error OutputParser::makeError(ErrorCode code, const std::string& what,
                                             std::uint64_t line) const {
  std::string message;
  if (!sourceName_.empty()) message = "output file '" + sourceName_ + "' ";
  message += "line " + std::to_string(line) + ": " + what;
  return Error{code, std::move(message), sourceName_, line, 0};
}

BGAGENT_INLINE void OutputParser::fail(ErrorCode code, const std::string& what,
                                       std::uint64_t line) {
  if (line == 0) line = snapshot_.lines;
  if (snapshot_.status == Status::Failed) {
    warn(what, line);  // P24: the first failure is the error, later ones are warnings
    return;
  }
  snapshot_.status = Status::Failed;
  snapshot_.error = makeError(code, what, line);
  emit(OutputEventKind::Failed, snapshot_.error->message);
}

BGAGENT_INLINE void OutputParser::warn(const std::string& what, std::uint64_t line) {
  ++snapshot_.warningCount;
  if (snapshot_.warnings.size() >= limits_.maxWarnings) return;
  snapshot_.warnings.push_back(
      makeError(ErrorCode::MalformedOutput, what, line == 0 ? snapshot_.lines : line));
  emit(OutputEventKind::Warning, snapshot_.warnings.back().message);
}

BGAGENT_INLINE void OutputParser::emit(OutputEventKind kind, std::string_view text) {
  if (handler_) handler_(OutputEvent{kind, snapshot_.lines, text});
}

BGAGENT_INLINE bool OutputParser::isBlank(std::string_view text) noexcept {
  return text.find_first_not_of(" \t\r") == std::string_view::npos;
}

BGAGENT_INLINE OutputSnapshot parseOutput(std::string_view text, std::string sourceName,
                                          ParserLimits limits) {
  OutputParser parser(std::move(sourceName), limits);
  parser.feed(text);
  return parser.snapshot();
}

}  // namespace bgagent
