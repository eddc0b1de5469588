// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/output_relay.hpp: the line rules for a process agent's stdout and stderr
// on their way into its output file. Pure: bytes in, in any chunking; lines to write out.
//   - The host owns START and COMPLETE: a child's copy is indented by one space into free output
//     (docs/protocol.md, P5), so it can never end its task early. PROGRESS, RESULT and ERROR
//     pass as they are.
//   - Past `maxOutputBytes`, one notice is written and every further line is dropped, except
//     the agent's RESULT and the lines of its value (P13): they are what the task is for.
//   - A line longer than 64 KiB (1 MiB within a RESULT, P14) is passed on in pieces.
//   - The last free lines are kept for a crash report.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/protocol/detail/json_value_scanner.hpp>
#include <bgagent/protocol/protocol.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bgagent::detail {

class OutputRelay {
 public:
  static constexpr std::size_t kLastLines = 5;
  static constexpr std::size_t kLastLineBytes = 200;
  static constexpr std::size_t kMaxLineBytes = 64 * 1024;
  static constexpr std::size_t kMaxResultLineBytes = 1024 * 1024 + 64;  // P14's bound

  explicit OutputRelay(std::uint64_t maxOutputBytes) : maxOutputBytes_(maxOutputBytes) {}

  /// Takes the next bytes of the child's output; complete lines become lines to write.
  void feed(std::string_view bytes) {
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

  /// The child's output ended: a last line without its newline is passed on as a line.
  void endOfOutput() {
    if (carry_.empty()) return;
    relayLine(carry_);
    carry_.clear();
  }

  /// The lines to append to the output file since the last call, each ending with '\n'.
  std::string takeLines() { return std::exchange(pending_, std::string()); }

  /// Whether the child wrote a RESULT of its own (then the host writes none).
  bool wroteResult() const noexcept { return wroteResult_; }

  /// The last free-output lines, oldest first, each cut to 200 bytes.
  std::vector<std::string> lastLines() const { return {lastLines_.begin(), lastLines_.end()}; }

 private:
  std::size_t lineLimit() const noexcept {
    return inResultValue_ || carry_.starts_with(protocol::kResult) ? kMaxResultLineBytes
                                                                   : kMaxLineBytes;
  }

  void relayLine(std::string_view line) {
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
    const bool keep = marker == protocol::Marker::Result || partOfResult;
    if (bytesRelayed_ + line.size() + 1 > maxOutputBytes_ && !keep) {
      if (!truncated_) {
        truncated_ = true;
        pending_ += "bgagent: output exceeded " + std::to_string(maxOutputBytes_) +
                    " bytes; further output is dropped\n";
      }
      return;
    }
    if (forged) pending_ += ' ';
    pending_.append(line);
    pending_ += '\n';
    bytesRelayed_ += line.size() + 1;
  }

  // Follows a RESULT value line by line (P13), so the output cap never drops a part of it.
  void trackResultValue(std::string_view text) {
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

  std::uint64_t maxOutputBytes_;
  std::string carry_;    // a line whose newline has not come yet
  std::string pending_;  // lines to write
  std::deque<std::string> lastLines_;
  std::uint64_t bytesRelayed_ = 0;
  bool truncated_ = false;
  bool wroteResult_ = false;
  bool inResultValue_ = false;
  bool resultValueStarted_ = false;
  JsonValueScanner resultScanner_;
};

}  // namespace bgagent::detail
