// SPDX-License-Identifier: MIT
// OutputParser: the rules golden files cannot show well (bounds, events, restarts, hostile
// input). Rule numbers refer to docs/protocol.md.
#include <bgagent/protocol/output_parser.hpp>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/test_support.hpp"

using bgagent::ErrorCode;
using bgagent::OutputEvent;
using bgagent::OutputEventKind;
using bgagent::OutputParser;
using bgagent::ParserLimits;
using bgagent::Status;
using bgagent::test::kCompleteLine;
using bgagent::test::kStartLine;

namespace {

ParserLimits smallLimits() {
  ParserLimits limits;
  limits.maxLineBytes = 16;
  limits.maxResultBytes = 64;
  limits.tailLines = 3;
  limits.tailLineBytes = 5;
  limits.maxWarnings = 2;
  return limits;
}

}  // namespace

TEST_CASE("P4: a line longer than maxLineBytes is cut, with a warning, in any chunking",
          "[parser][bounds]") {
  const std::string text = std::string(kStartLine) + std::string(40, 'x') + "\n[PROGRESS] " +
                           std::string(30, 'p') + "\n";
  ParserLimits limits = smallLimits();
  limits.maxLineBytes = 30;
  limits.tailLineBytes = 100;
  const auto whole = bgagent::parseOutput(text, "", limits);
  REQUIRE(whole.tail.size() == 1);
  CHECK(whole.tail[0] == std::string(30, 'x'));
  CHECK(whole.progress.text == std::string(19, 'p'));  // "[PROGRESS] " is 11 of the 30 bytes
  REQUIRE(whole.warnings.size() == 2);
  CHECK(whole.warnings[0].message ==
        "line 2: line is longer than 30 bytes; the rest of it was skipped");
  CHECK(whole.warnings[1].line == 3);

  OutputParser bytewise("", limits);
  for (char c : text) bytewise.feed(std::string_view(&c, 1));
  CHECK(bytewise.snapshot() == whole);
}

TEST_CASE("P4: a 100 MB line without a newline keeps the parser's memory bounded",
          "[parser][bounds]") {
  OutputParser parser("big.out");
  parser.feed(kStartLine);
  const std::string chunk(1 << 20, 'z');
  for (int i = 0; i < 100; ++i) parser.feed(chunk);
  CHECK(parser.snapshot().pendingBytes == 100u << 20);
  CHECK(parser.retainedBytes() <= 2 * parser.limits().maxLineBytes);
  parser.feed("\n[COMPLETE] 2026-01-30T10:05:00Z\n");
  CHECK(parser.snapshot().status == Status::Succeeded);
  REQUIRE(parser.snapshot().tail.size() == 1);
  CHECK(parser.snapshot().tail[0].size() == parser.limits().tailLineBytes);
  CHECK(
      parser.snapshot().warnings.at(0).message ==
      "output file 'big.out' line 2: line is longer than 65536 bytes; the rest of it was skipped");
}

TEST_CASE("P4: NUL bytes and invalid UTF-8 in free output are kept as bytes", "[parser]") {
  const std::string garbage("bin\0ary\xff\xfe", 9);
  const auto snapshot = bgagent::parseOutput(std::string(kStartLine) + garbage + "\n");
  REQUIRE(snapshot.tail.size() == 1);
  CHECK(snapshot.tail[0] == garbage);
  CHECK(snapshot.status == Status::Running);
}

TEST_CASE("P7: only the last tailLines free lines are kept, each cut to tailLineBytes",
          "[parser][bounds]") {
  std::string text = kStartLine;
  for (int i = 0; i < 10; ++i) text += "line-" + std::to_string(i) + "-long\n";
  const auto snapshot = bgagent::parseOutput(text, "", smallLimits());
  CHECK(snapshot.tail.lines() == std::vector<std::string>{"line-", "line-", "line-"});

  ParserLimits limits = smallLimits();
  limits.tailLineBytes = 100;
  const auto full = bgagent::parseOutput(text, "", limits);
  CHECK(full.tail.lines() == std::vector<std::string>{"line-7-long", "line-8-long", "line-9-long"});
}

TEST_CASE("P14: a RESULT larger than maxResultBytes fails the file and is skipped",
          "[parser][bounds]") {
  std::string text = kStartLine;
  text += "[RESULT]\n{\"items\": [\n";
  for (int i = 0; i < 20; ++i) text += "  \"item number " + std::to_string(i) + "\",\n";
  text += "  \"end\"]}\nafter\n";
  text += kCompleteLine;
  ParserLimits limits = smallLimits();
  limits.maxLineBytes = 1000;
  const auto snapshot = bgagent::parseOutput(text, "r.out", limits);
  CHECK(snapshot.status == Status::Failed);
  CHECK(snapshot.completed);
  REQUIRE(snapshot.error);
  CHECK(snapshot.error->code == ErrorCode::MalformedOutput);
  CHECK(snapshot.error->message == "output file 'r.out' line 3: RESULT is larger than 64 bytes");
  CHECK_FALSE(snapshot.hasResult);
  CHECK(snapshot.tail.empty());  // the skipped RESULT lines are not free output

  OutputParser bytewise("r.out", limits);
  for (char c : text) bytewise.feed(std::string_view(&c, 1));
  CHECK(bytewise.snapshot() == snapshot);
  CHECK(bytewise.retainedBytes() <= 2 * (limits.maxResultBytes + limits.maxLineBytes));
}

TEST_CASE("P14: a single-line RESULT may exceed maxLineBytes up to maxResultBytes",
          "[parser][bounds]") {
  ParserLimits limits;
  limits.maxLineBytes = 32;
  const std::string value = "{\"success\": true, \"blob\": \"" + std::string(200, 'b') + "\"}";
  const std::string text = std::string(kStartLine) + "[RESULT] " + value + "\n" + kCompleteLine;
  const auto whole = bgagent::parseOutput(text, "", limits);
  CHECK(whole.status == Status::Succeeded);
  CHECK(whole.result.at("blob").get<std::string>().size() == 200);
  CHECK(whole.warningCount == 0);

  OutputParser chunked("", limits);
  for (std::size_t at = 0; at < text.size(); at += 5) chunked.feed(text.substr(at, 5));
  CHECK(chunked.snapshot() == whole);
}

TEST_CASE("P24: warnings beyond maxWarnings are counted, not kept", "[parser][bounds]") {
  std::string text = std::string(kStartLine) + kCompleteLine;
  for (int i = 0; i < 50; ++i) text += "late\n";
  ParserLimits limits;
  limits.maxWarnings = 2;
  const auto snapshot = bgagent::parseOutput(text, "", limits);
  CHECK(snapshot.warnings.size() == 2);
  CHECK(snapshot.warningCount == 50);
}

TEST_CASE("P24: the first failure is the error and later ones become warnings", "[parser]") {
  const auto snapshot = bgagent::parseOutput(std::string(kStartLine) +
                                             "[RESULT] {\"success\": false}\n[START] again\n");
  REQUIRE(snapshot.error);
  CHECK(snapshot.error->message == "line 2: RESULT reports success=false");
  REQUIRE(snapshot.warnings.size() == 1);
  CHECK(snapshot.warnings[0].message == "line 3: second [START] (the first is on line 1)");
}

TEST_CASE("P21: a file is Failed from its ERROR line, before any COMPLETE", "[parser]") {
  OutputParser parser("build.out");
  parser.feed(kStartLine);
  CHECK(parser.snapshot().status == Status::Running);
  parser.feed("[ERROR] linker died\n");
  CHECK(parser.snapshot().status == Status::Failed);
  CHECK_FALSE(parser.snapshot().completed);
  CHECK(parser.snapshot().error->message ==
        "output file 'build.out' line 2: agent reported an error: linker died");
  parser.feed(kCompleteLine);
  CHECK(parser.snapshot().status == Status::Failed);
  CHECK(parser.snapshot().completed);
}

TEST_CASE("P2: feed() reports the lines it completed and holds back the partial one", "[parser]") {
  OutputParser parser;
  CHECK(parser.feed("[START] 2026-01-30T10:00:00Z\n[PROG") == 1);
  CHECK(parser.snapshot().pendingBytes == 5);
  CHECK(parser.snapshot().progress.updates == 0);
  CHECK(parser.feed("RESS] 1/2\nfree") == 1);
  CHECK(parser.snapshot().progress.percent == 50.0);
  CHECK(parser.snapshot().pendingBytes == 4);
  CHECK(parser.snapshot().tail.empty());
  CHECK(parser.feed("\n") == 1);
  CHECK(parser.snapshot().tail.lines() == std::vector<std::string>{"free"});
  CHECK(parser.snapshot().bytes == 49);
}

TEST_CASE("events report each record in file order with its line", "[parser][events]") {
  OutputParser parser("e.out");
  std::vector<std::pair<OutputEventKind, std::uint64_t>> seen;
  std::vector<std::string> texts;
  parser.setEventHandler([&](const OutputEvent& event) {
    seen.emplace_back(event.kind, event.line);
    texts.emplace_back(event.text);
  });
  parser.feed(std::string(kStartLine) + "Task: t\nhello\n[PROGRESS] 10% a\n[HEARTBEAT]\n" +
              "[RESULT] {\"success\": true}\n[ERROR] bad\n" + kCompleteLine + "late\n" +
              "[EXIT] status=1\n");
  const std::vector<std::pair<OutputEventKind, std::uint64_t>> expected{
      {OutputEventKind::Started, 1},  {OutputEventKind::Output, 3},
      {OutputEventKind::Progress, 4}, {OutputEventKind::Heartbeat, 5},
      {OutputEventKind::Result, 6},   {OutputEventKind::AgentError, 7},
      {OutputEventKind::Failed, 7},   {OutputEventKind::Completed, 8},
      {OutputEventKind::Warning, 9},  {OutputEventKind::Exited, 10}};
  CHECK(seen == expected);
  CHECK(texts[1] == "hello");
  CHECK(texts[2] == "10% a");
  CHECK(texts[5] == "bad");
  CHECK(texts[6] == "output file 'e.out' line 7: agent reported an error: bad");
}

TEST_CASE("restart starts over with a fresh state and counts the restart", "[parser]") {
  OutputParser parser;
  parser.feed(std::string(kStartLine) + "[ERROR] old run\npartial");
  parser.restart();
  CHECK(parser.snapshot().status == Status::Pending);
  CHECK(parser.snapshot().restarts == 1);
  CHECK(parser.snapshot().pendingBytes == 0);
  parser.feed(std::string(kStartLine) + kCompleteLine);
  CHECK(parser.snapshot().status == Status::Succeeded);
  CHECK(parser.snapshot().lines == 2);
  CHECK(parser.snapshot().restarts == 1);
}

TEST_CASE("binary garbage never crashes the parser and leaves it Pending", "[parser]") {
  std::string garbage;
  for (int i = 0; i < 5000; ++i) garbage += static_cast<char>((i * 7919) % 256);
  const auto snapshot = bgagent::parseOutput(garbage);
  CHECK(snapshot.status == Status::Pending);
  CHECK(snapshot.bytes == garbage.size());
}

TEST_CASE("fuzz: a RESULT number too large for a double fails the file, not the caller",
          "[parser][regression]") {
  const auto snapshot = bgagent::parseOutput("[START]\n[RESULT] {\"n\": 1e400}\n", "n.out");
  CHECK(snapshot.status == Status::Failed);
  REQUIRE(snapshot.error);
  CHECK(snapshot.error->code == ErrorCode::InvalidResult);
  CHECK(snapshot.error->message ==
        "output file 'n.out' line 2: RESULT is not valid JSON: number overflow parsing '1e400'");
}

TEST_CASE("fuzz: a marker line that ends an unfinished RESULT is cut like any line",
          "[parser][regression]") {
  ParserLimits limits;
  limits.maxLineBytes = 64;
  limits.maxResultBytes = 256;
  const std::string text = "[START]\n[RESULT]\n[PROGRESS] 10% " + std::string(300, 'p') + "\n";
  const auto whole = bgagent::parseOutput(text, "", limits);
  CHECK(whole.progress.text.size() == 64 - 11);
  CHECK(whole.warnings.back().message ==
        "line 3: line is longer than 64 bytes; the rest of it was skipped");
  OutputParser chunked("", limits);
  for (std::size_t at = 0; at < text.size(); at += 7) chunked.feed(text.substr(at, 7));
  CHECK(chunked.snapshot() == whole);
}

TEST_CASE("fuzz: an empty feed while a line is held back changes nothing", "[parser][regression]") {
  OutputParser parser;
  parser.feed("[START] 2026-01-30T10:00:00Z\npartial");
  const auto before = parser.snapshot();
  CHECK(parser.feed(std::string_view{}) == 0);
  CHECK(parser.snapshot() == before);
}

TEST_CASE("review: a deeply nested RESULT fails the file instead of the stack",
          "[parser][regression]") {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const auto snapshot =
      bgagent::parseOutput(std::string(kStartLine) + "[RESULT] " + deep + "\n" + kCompleteLine);
  CHECK(snapshot.status == Status::Failed);
  REQUIRE(snapshot.error);
  CHECK(snapshot.error->code == ErrorCode::InvalidResult);
  CHECK(snapshot.error->message == "line 2: RESULT nests deeper than 512 levels");
  CHECK(snapshot.completed);
  const std::string allowed = std::string(512, '[') + std::string(512, ']');
  CHECK(bgagent::parseOutput(std::string(kStartLine) + "[RESULT] " + allowed + "\n").hasResult);
}

TEST_CASE("review: a throwing event handler leaves the parser usable", "[parser][regression]") {
  OutputParser parser;
  parser.setEventHandler([](const OutputEvent& event) {
    if (event.kind == OutputEventKind::Progress) throw std::runtime_error("handler failed");
  });
  {
    const std::string chunk = std::string(kStartLine) + "free\n[PROGRESS] 1/2\n";
    CHECK_THROWS_AS(parser.feed(chunk), std::runtime_error);
  }
  parser.setEventHandler(nullptr);
  parser.feed("more\n");
  CHECK(parser.snapshot().tail.lines().back() == "more");
}

// Reliability issue, item 4: a pid past pid_t's range would be cast to another process's id
// (4294967297 is 1 as a pid_t: init, which never exits) and followed as the writer.
TEST_CASE("P9: a Writer pid outside pid_t's range is no pid, with a warning", "[parser]") {
  for (const std::string pid : {"4294967297", "2147483648", "0", "-5"}) {
    INFO(pid);
    const auto snapshot =
        bgagent::parseOutput(std::string(kStartLine) + "Writer: pid=" + pid + " host=h\n");
    CHECK(snapshot.writer.pid == 0);
    CHECK(snapshot.writer.host == "h");
    REQUIRE(snapshot.warnings.size() == 1);
    CHECK(snapshot.warnings[0].message == "line 2: Writer pid '" + pid + "' is not a process id");
  }
  CHECK(bgagent::parseOutput(std::string(kStartLine) + "Writer: pid=2147483647\n").writer.pid ==
        2147483647);
}

// Reliability issue, item 6: a process agent's file names the process that runs it, so that
// a host started later can follow it, stop it, and tell a reused pid from it.
TEST_CASE("P9: the Agent line names the agent's process, group and start time", "[parser]") {
  const auto snapshot = bgagent::parseOutput(
      std::string(kStartLine) +
      "Task: t\nAgent: pid=5151 group=5150 started=123456789 later=x\nWriter: pid=7\n");
  CHECK(snapshot.agent == bgagent::AgentProcessInfo{5151, 5150, 123456789});
  CHECK(snapshot.writer.pid == 7);  // still the header after it
  CHECK(snapshot.warningCount == 0);
  CHECK(snapshot.tail.empty());

  // Once, and only in the header: another Agent line is free output and changes nothing.
  const auto later = bgagent::parseOutput(std::string(kStartLine) +
                                          "Agent: pid=1 group=1 started=1\n"
                                          "Agent: pid=2 group=2 started=2\nfree\n"
                                          "Agent: pid=3 group=3 started=3\n");
  CHECK(later.agent == bgagent::AgentProcessInfo{1, 1, 1});
  CHECK(later.tail.lines() == std::vector<std::string>{"Agent: pid=2 group=2 started=2", "free",
                                                       "Agent: pid=3 group=3 started=3"});

  // Values that cannot be a process or a start time are none, each with a warning.
  const auto bad = bgagent::parseOutput(std::string(kStartLine) +
                                        "Agent: pid=4294967297 group=-1 started=soon\n");
  CHECK(bad.agent == bgagent::AgentProcessInfo{});
  REQUIRE(bad.warnings.size() == 3);
  CHECK(bad.warnings[0].message == "line 2: Agent pid '4294967297' is not a process id");
  CHECK(bad.warnings[1].message == "line 2: Agent group '-1' is not a process id");
  CHECK(bad.warnings[2].message ==
        "line 2: Agent start time 'soon' is not a number of clock ticks");
}

// Reliability issue, item 6: an agent that ended while no host ran leaves its exit status in
// the file, for the host that re-attaches.
TEST_CASE("P27: an EXIT record gives the exit status, the last one counting, and changes no state",
          "[parser]") {
  const auto running = bgagent::parseOutput(std::string(kStartLine) +
                                            "out\n[EXIT] status=3 later=x\n[EXIT] status=0\n");
  CHECK(running.status == Status::Running);
  CHECK(running.exitStatus == 0);
  CHECK(running.warningCount == 0);
  CHECK(running.tail.lines() == std::vector<std::string>{"out"});

  // After [COMPLETE] too, with no warning: it comes after whatever the agent wrote.
  const auto completed =
      bgagent::parseOutput(std::string(kStartLine) + kCompleteLine + "[EXIT] status=143\nlate\n");
  CHECK(completed.status == Status::Succeeded);
  CHECK(completed.exitStatus == 143);
  REQUIRE(completed.warnings.size() == 1);
  CHECK(completed.warnings[0].message == "line 4: output after [COMPLETE] is ignored");

  // No status, or one outside 0..255: a warning, and the status read before stays.
  for (const std::string bad : {"", "status=", "status=256", "status=-1", "status=x", "code=0"}) {
    INFO(bad);
    const auto snapshot =
        bgagent::parseOutput(std::string(kStartLine) + "[EXIT] status=9\n[EXIT] " + bad + "\n");
    CHECK(snapshot.exitStatus == 9);
    REQUIRE(snapshot.warnings.size() == 1);
    CHECK(snapshot.warnings[0].message ==
          "line 3: [EXIT] has no status from 0 to 255: '" + bad + "'");
  }

  // Before [START] it is misplaced, as every record is (P20).
  const auto early = bgagent::parseOutput("[EXIT] status=0\n" + std::string(kStartLine));
  CHECK(early.status == Status::Failed);
  CHECK(early.error->message == "line 1: [EXIT] before [START]");
  CHECK(!early.exitStatus);
}

// Found by the fuzzer in CI: a line that starts with '[' without being a marker lost both CRs
// of "\r\r\n" when read whole, one when read in pieces. P1 removes one.
TEST_CASE("P1: one CR before the LF is removed, on every path through the parser", "[parser]") {
  const std::string text =
      std::string(kStartLine) + "[PROGRESS]\r x\r\r\n[DEBUG] y\r\r\nfree\r\r\n[PROGRESS] 1/2\r\r\n";
  const auto whole = bgagent::parseOutput(text);
  CHECK(whole.tail.lines() ==
        std::vector<std::string>{"[PROGRESS]\r x\r", "[DEBUG] y\r", "free\r"});
  CHECK(whole.progress.text == "1/2\r");
  OutputParser bytewise("");
  for (const char c : text) bytewise.feed(std::string_view(&c, 1));
  CHECK(bytewise.snapshot() == whole);
}
