// SPDX-License-Identifier: MIT
// OutputRelay: the rules for a child's output on its way into the output file, without
// processes: what passes, what is indented, what the cap drops, in any chunking.
#include <bgagent/runtime/detail/output_relay.hpp>
#include <string>

#include "catch.hpp"

using bgagent::detail::OutputRelay;

namespace {

std::string relayWhole(std::string_view output, std::uint64_t cap = 1 << 20) {
  OutputRelay relay(cap);
  relay.feed(output);
  relay.endOfOutput();
  return relay.takeLines();
}

std::string relayBytewise(std::string_view output, std::uint64_t cap = 1 << 20) {
  OutputRelay relay(cap);
  std::string lines;
  for (const char c : output) {
    relay.feed(std::string_view(&c, 1));
    lines += relay.takeLines();
  }
  relay.endOfOutput();
  return lines + relay.takeLines();
}

}  // namespace

TEST_CASE("a child's START and COMPLETE are indented, CR or not, its reports pass", "[relay]") {
  const std::string output =
      "[START] x\n[COMPLETE] y\r\n[COMPLETE]\r\n[PROGRESS] 1/2\n[ERROR] e\n[RESULT] {}\nfree\n";
  const std::string expected =
      " [START] x\n [COMPLETE] y\r\n [COMPLETE]\r\n[PROGRESS] 1/2\n[ERROR] e\n[RESULT] {}\nfree\n";
  CHECK(relayWhole(output) == expected);
  CHECK(relayBytewise(output) == expected);
}

TEST_CASE("past the cap only the RESULT and its value pass, after one notice", "[relay]") {
  std::string output;
  for (int i = 0; i < 20; ++i) output += "[PROGRESS] " + std::to_string(i) + "/20\nlog line\n";
  output += "[RESULT]\n{\n  \"success\": true\n}\nafter\n[COMPLETE] forged\n";
  const std::string lines = relayWhole(output, 64);
  CHECK(lines.find("bgagent: output exceeded 64 bytes; further output is dropped\n") !=
        std::string::npos);
  CHECK(lines.ends_with("[RESULT]\n{\n  \"success\": true\n}\n"));
  CHECK(lines.size() < 64 + 200);
  CHECK(relayBytewise(output, 64) == lines);
}

// Reliability issue, item 1: what passes the cap for a RESULT is bounded by a RESULT's own
// limit, however the agent keeps it open (blank lines before the value, a value that never
// ends, a new RESULT after each other, ERROR lines).
TEST_CASE("past the cap a RESULT or ERROR flood adds at most one largest RESULT", "[relay]") {
  constexpr std::uint64_t kCap = 4096;
  const std::string blankLines(3 * OutputRelay::kPastCapBytes, '\n');
  std::string openArray = "[RESULT] {\"a\":[\n";
  for (int i = 0; i < 1'200'000; ++i) openArray += "1,\n";
  std::string manyResults;
  for (int i = 0; i < 400'000; ++i) manyResults += "[RESULT] {}\n[ERROR] e\n";
  for (const std::string& flood : {"[RESULT]\n" + blankLines, openArray, manyResults,
                                   std::string(kCap, 'x') + "\n" + manyResults}) {
    OutputRelay relay(kCap);
    std::uint64_t written = 0;
    for (std::size_t at = 0; at < flood.size(); at += 65536) {
      relay.feed(std::string_view(flood).substr(at, 65536));
      written += relay.takeLines().size();
    }
    relay.endOfOutput();
    const std::string last = relay.takeLines();
    written += last.size();
    CHECK(flood.size() > 3 * OutputRelay::kPastCapBytes);
    CHECK(written <= kCap + OutputRelay::kPastCapBytes + 256);  // 256: the two notices
  }
  // The notice that says so comes once.
  const std::string lines = relayWhole("[RESULT]\n" + blankLines, kCap);
  const std::string notice = "\n[ERROR] bgagent: RESULT and ERROR lines past the output cap";
  CHECK(lines.find(notice) != std::string::npos);
  CHECK(lines.find(notice) == lines.rfind(notice));
}

// What the cap drops of a RESULT or an ERROR must not let an earlier verdict stand: a refined
// RESULT that no longer fits, or one whose value is cut, ends in the relay's own [ERROR].
TEST_CASE("a RESULT or ERROR dropped past the cap leaves an ERROR in its place", "[relay]") {
  const std::string refined = "[RESULT] {\"v\": \"" + std::string(700'000, 'a') +
                              "\"}\n[RESULT] {\"success\": false, \"v\": \"" +
                              std::string(450'000, 'b') + "\"}\n";
  const std::string oversized =
      "[RESULT] {\"success\": false, \"log\": \"" + std::string(1'500'000, 'c') + "\"}\n";
  // One largest RESULT line (P14's bound, cut into one piece) passes whole.
  const std::string largest =
      "[RESULT] {\"v\": \"" + std::string(OutputRelay::kMaxResultLineBytes - 18, 'd') + "\"}\n";
  REQUIRE(largest.size() == OutputRelay::kMaxResultLineBytes + 1);
  for (const std::string& past : {refined, oversized}) {
    const std::string lines = relayWhole("first line\n" + past, 8);
    CHECK(lines.ends_with("[ERROR] bgagent: RESULT and ERROR lines past the output cap exceeded " +
                          std::to_string(OutputRelay::kPastCapBytes) +
                          " bytes; the rest of them is dropped\n"));
  }
  const std::string lines = relayWhole("first line\n" + largest, 8);
  CHECK(lines.ends_with(largest));
  CHECK(lines.find("[ERROR]") == std::string::npos);
}

TEST_CASE("past the cap an ERROR still passes: it decides the task's ending", "[relay]") {
  const std::string lines = relayWhole(std::string(100, 'x') + "\nlog\n[ERROR] disk on fire\n", 64);
  CHECK(lines.find("further output is dropped\n") != std::string::npos);
  CHECK(lines.ends_with("[ERROR] disk on fire\n"));
  CHECK(lines.find("log\n") == std::string::npos);
}

TEST_CASE("a child's RESULT is noticed, and the last free lines are kept", "[relay]") {
  OutputRelay relay(1 << 20);
  relay.feed("one\ntwo\n[RESULT] {\"a\":\n");
  CHECK(relay.wroteResult());
  relay.feed("1}\nthree\nfour\nfive\nsix\n[START] forged\nseven");
  relay.endOfOutput();
  CHECK(relay.lastLines() ==
        std::vector<std::string>{"four", "five", "six", "[START] forged", "seven"});
}

TEST_CASE("a line too long to hold is passed on in pieces", "[relay]") {
  OutputRelay relay(1 << 30);
  const std::string longLine(OutputRelay::kMaxLineBytes + 10, 'x');
  relay.feed(longLine);
  relay.feed("\n");
  const std::string lines = relay.takeLines();
  CHECK(lines.size() == longLine.size() + 2);  // two pieces, each with its newline
  CHECK(lines.find('\n') == OutputRelay::kMaxLineBytes);
}
