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

TEST_CASE("a child's START and COMPLETE are indented, CR or not; its reports pass", "[relay]") {
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
