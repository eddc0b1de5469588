// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/output_relay_inl.hpp: the bodies of output_relay.hpp's functions (inline
// in header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/output_relay.hpp>
// What the bodies use besides their header:
#include <bgagent/protocol/protocol.hpp>
#include <bgagent/runtime/detail/agent_control.hpp>
#include <optional>
#include <utility>

namespace bgagent::detail {

BGAGENT_INLINE void OutputRelay::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const std::size_t newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      carry_.append(bytes);
      // A line too long to hold is passed on in pieces of the limit's size.
      for (std::size_t limit = lineLimit(); carry_.size() > limit; limit = lineLimit()) {
        relayLine(std::string_view(carry_).substr(0, limit));
        carry_.erase(0, limit);
      }
      return;
    }
    if (carry_.empty()) {
      relayLine(bytes.substr(0, newline));
    } else {
      carry_.append(bytes.substr(0, newline));
      relayLine(carry_);
      carry_.clear();
    }
    bytes.remove_prefix(newline + 1);
  }
}

BGAGENT_INLINE void OutputRelay::endOfOutput() {
  if (carry_.empty()) return;
  relayLine(carry_);
  carry_.clear();
}

BGAGENT_INLINE std::string OutputRelay::takeLines() {
  return std::exchange(pending_, std::string());
}

BGAGENT_INLINE std::size_t OutputRelay::lineLimit() const noexcept {
  return inResultValue_ || carry_.starts_with(protocol::kResult) ? kMaxResultLineBytes
                                                                 : kMaxLineBytes;
}

BGAGENT_INLINE void OutputRelay::relayLine(std::string_view line) {
  std::string_view clean = line;
  if (!clean.empty() && clean.back() == '\r') clean.remove_suffix(1);  // as readers do (P1)
  std::string_view text;
  const std::optional<protocol::Marker> marker = protocol::markerOf(clean, text);
  const bool partOfResult = inResultValue_;
  if (inResultValue_) {
    if (marker) {
      inResultValue_ = false;  // P15: a marker line ends a RESULT
    } else {
      trackResultValue(clean);
    }
  }
  if (marker == protocol::Marker::Result) {
    wroteResult_ = true;
    resultScanner_.reset();
    inResultValue_ = true;
    resultValueStarted_ = false;
    if (!text.empty()) trackResultValue(text);
  }
  const bool forged = marker == protocol::Marker::Start || marker == protocol::Marker::Complete;
  if ((!marker && !partOfResult) || forged) {
    lastLines_.emplace_back(clean.substr(0, kLastLineBytes));
    if (lastLines_.size() > kLastLines) lastLines_.pop_front();
  }
  // RESULT (with its value) and ERROR decide how the task ends: past the cap they are still
  // kept, but only as much of them as the protocol lets a RESULT be, so the cap holds for
  // every other byte and the file's size stays bounded whatever the agent writes.
  const bool decisive =
      marker == protocol::Marker::Result || marker == protocol::Marker::Error || partOfResult;
  // Once a line has not fitted, nothing but these passes, even a shorter line that would.
  if (truncated_ || bytesRelayed_ + line.size() + 1 > maxOutputBytes_) {
    const bool keep = decisive && !decisiveCut_ && bytesPastCap_ + line.size() + 1 <= kPastCapBytes;
    if (!keep) {
      if (!truncated_) {
        truncated_ = true;
        pending_ += "bgagent: output exceeded " + std::to_string(maxOutputBytes_) +
                    " bytes; further output is dropped\n";
      }
      if (decisive && !decisiveCut_) {
        // A dropped RESULT or ERROR could leave an earlier success standing: the file fails.
        decisiveCut_ = true;
        pending_ += "[ERROR] " + std::string(kOutputCapCut) + " " + std::to_string(kPastCapBytes) +
                    " bytes; the rest of them is dropped\n";
      }
      return;
    }
    bytesPastCap_ += line.size() + 1;
  }
  if (forged) pending_ += ' ';
  pending_.append(line);
  pending_ += '\n';
  bytesRelayed_ += line.size() + 1;
}

BGAGENT_INLINE void OutputRelay::trackResultValue(std::string_view text) {
  if (!resultValueStarted_) {
    const std::size_t first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return;  // blank lines before the value
    resultValueStarted_ = true;
    if (text[first] != '{' && text[first] != '[') {
      inResultValue_ = false;  // a scalar ends with its line
      return;
    }
    text.remove_prefix(first);
  }
  if (resultScanner_.scan(text) != JsonValueScanner::kNotEnded) inResultValue_ = false;
}

}  // namespace bgagent::detail
