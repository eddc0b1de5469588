// SPDX-License-Identifier: MIT
// bgagent/protocol/protocol.hpp: the spellings of the output-file protocol (docs/protocol.md).
//
// Owns: the marker tags, the header keys and the protocol version, shared by OutputWriter,
// OutputParser and the docs so that none of them spells a marker on its own.
// Thread safety: constants only.
#pragma once

#include <bgagent/core/detail/config.hpp>
#include <cstddef>
#include <optional>
#include <string_view>

namespace bgagent::protocol {

/// The protocol version this library writes, and the major version it reads (P10).
inline constexpr int kMajorVersion = 1;
inline constexpr int kMinorVersion = 1;  // 1.1 added the `Agent:` header line and [EXIT]

/// The known markers (P5). Any other `[TAG]` is free output (P6).
enum class Marker { Start, Progress, Result, Error, Complete, Heartbeat, Exit };

inline constexpr std::string_view kStart = "[START]";
inline constexpr std::string_view kProgress = "[PROGRESS]";
inline constexpr std::string_view kResult = "[RESULT]";
inline constexpr std::string_view kError = "[ERROR]";
inline constexpr std::string_view kComplete = "[COMPLETE]";
inline constexpr std::string_view kHeartbeat = "[HEARTBEAT]";
inline constexpr std::string_view kExit = "[EXIT]";

/// The key of the exit status in an [EXIT] record (P27).
inline constexpr std::string_view kExitStatusKey = "status";

/// Header lines right after [START] (P9).
inline constexpr std::string_view kTaskKey = "Task:";
inline constexpr std::string_view kWriterKey = "Writer:";
inline constexpr std::string_view kAgentKey = "Agent:";

/// The marker's spelling, brackets included.
constexpr std::string_view spelling(Marker marker) noexcept {
  switch (marker) {
    case Marker::Start:
      return kStart;
    case Marker::Progress:
      return kProgress;
    case Marker::Result:
      return kResult;
    case Marker::Error:
      return kError;
    case Marker::Complete:
      return kComplete;
    case Marker::Heartbeat:
      return kHeartbeat;
    case Marker::Exit:
      return kExit;
  }
  return {};
}

/// The marker a line starts with, per P5: a known `[TAG]` at column 0 followed by the end of the
/// line or a space. `text` receives what follows the space (empty when there is none).
constexpr std::optional<Marker> markerOf(std::string_view line, std::string_view& text) noexcept {
  if (line.size() < 6 || line[0] != '[') return std::nullopt;
  constexpr Marker kAll[] = {Marker::Progress, Marker::Start,     Marker::Result, Marker::Complete,
                             Marker::Error,    Marker::Heartbeat, Marker::Exit};
  for (Marker marker : kAll) {
    std::string_view tag = spelling(marker);
    if (line.starts_with(tag)) {
      if (line.size() == tag.size()) {
        text = {};
        return marker;
      }
      if (line[tag.size()] == ' ') {
        text = line.substr(tag.size() + 1);
        return marker;
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

/// Whether a line would be read as a known marker (P5).
constexpr bool isMarkerLine(std::string_view line) noexcept {
  std::string_view ignored;
  return markerOf(line, ignored).has_value();
}

}  // namespace bgagent::protocol

namespace bgagent {

/// The bounds a reader keeps on any input (docs/protocol.md); the defaults are the spec's.
/// maxLineBytes and maxResultBytes are at least 16 (smaller values are raised to 16).
struct ParserLimits {
  std::size_t maxLineBytes = std::size_t{64} * 1024;  ///< P4: longer lines are cut, with a warning
  std::size_t maxResultBytes = std::size_t{1} * 1024 * 1024;  ///< P14: larger fails the file
  std::size_t maxResultDepth = 512;  ///< P14: deeper nesting fails the file
  std::size_t tailLines = 32;        ///< P7: free lines kept
  std::size_t tailLineBytes = 512;   ///< P7: bytes kept of each
  std::size_t maxWarnings = 16;      ///< P24: warnings kept; more are counted
};

}  // namespace bgagent
