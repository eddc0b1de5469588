// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/output_relay.hpp: the line rules for a process agent's stdout and stderr
// on their way into its output file. Pure: bytes in, in any chunking; lines to write out.
//   - The host owns START and COMPLETE: a child's copy is indented by one space into free output
//     (docs/protocol.md, P5), so it can never end its task early. PROGRESS, RESULT and ERROR
//     pass as they are.
//   - Past `maxOutputBytes`, one notice is written and every further line is dropped, except
//     the agent's RESULT, the lines of its value (P13) and its ERROR lines, which decide how the
//     task ends: of those, at most kPastCapBytes (a largest RESULT, P14, and its marker line)
//     more; then an [ERROR] of the relay's own, so that what was dropped cannot leave the file
//     an earlier verdict, and nothing more. The file never grows past the cap by more than that.
//   - A line longer than 64 KiB (1 MiB within a RESULT, P14) is passed on in pieces.
//   - The last free lines are kept for a crash report.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/protocol/detail/json_value_scanner.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace bgagent::detail {

class OutputRelay {
 public:
  static constexpr std::size_t kLastLines = 5;
  static constexpr std::size_t kLastLineBytes = 200;
  static constexpr std::size_t kMaxLineBytes = 64 * 1024;
  static constexpr std::size_t kMaxResultLineBytes = 1024 * 1024 + 64;  // P14's bound
  /// What RESULT and ERROR lines may add past the output cap, in all: one largest RESULT line
  /// with its line break, and a line's worth for its marker line and ERROR lines.
  static constexpr std::size_t kPastCapBytes = kMaxResultLineBytes + 1 + kMaxLineBytes;

  explicit OutputRelay(std::uint64_t maxOutputBytes) : maxOutputBytes_(maxOutputBytes) {}

  /// Takes the next bytes of the child's output; complete lines become lines to write.
  void feed(std::string_view bytes);

  /// The child's output ended: a last line without its newline is passed on as a line.
  void endOfOutput();

  /// The lines to append to the output file since the last call, each ending with '\n'.
  std::string takeLines();

  /// Whether the child wrote a RESULT of its own (then the host writes none).
  bool wroteResult() const noexcept { return wroteResult_; }

  /// The last free-output lines, oldest first, each cut to 200 bytes.
  std::vector<std::string> lastLines() const { return {lastLines_.begin(), lastLines_.end()}; }

 private:
  std::size_t lineLimit() const noexcept;

  void relayLine(std::string_view line);

  // Follows a RESULT value line by line (P13), so the output cap never drops a part of it.
  void trackResultValue(std::string_view text);

  std::uint64_t maxOutputBytes_;
  std::string carry_;    // a line whose newline has not come yet
  std::string pending_;  // lines to write
  std::deque<std::string> lastLines_;
  std::uint64_t bytesRelayed_ = 0;
  std::uint64_t bytesPastCap_ = 0;  // RESULT and ERROR bytes kept past the cap
  bool truncated_ = false;
  bool decisiveCut_ = false;  // past the cap, RESULT and ERROR lines are dropped too
  bool wroteResult_ = false;
  bool inResultValue_ = false;
  bool resultValueStarted_ = false;
  JsonValueScanner resultScanner_;
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/output_relay_inl.hpp>
#endif
