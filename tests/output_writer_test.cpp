// SPDX-License-Identifier: MIT
// OutputWriter: records as the parser reads them, one write per record, errors naming the file.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bgagent/protocol/output_parser.hpp>
#include <bgagent/protocol/output_writer.hpp>
#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "support/test_support.hpp"

using bgagent::ErrorCode;
using bgagent::FsyncPolicy;
using bgagent::OpenMode;
using bgagent::OutputWriter;
using bgagent::Status;
using bgagent::WriterOptions;
using bgagent::test::readFile;
using bgagent::test::TempDir;

TEST_CASE("records written by OutputWriter read back as the same agent state", "[writer]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  auto writer = OutputWriter::open(path).value();
  REQUIRE(writer.start("Run full test suite"));
  REQUIRE(writer.agentProcess({.pid = 4242, .group = 4242, .started = 987654}));
  REQUIRE(writer.progress("3/7 tests"));
  REQUIRE(writer.output("compiling a\ncompiling b\n"));
  REQUIRE(writer.heartbeat());
  REQUIRE(writer.result({{"success", true}, {"details", "all passed"}}));
  REQUIRE(writer.complete());

  const auto snapshot = bgagent::parseOutput(readFile(path));
  CHECK(snapshot.status == Status::Succeeded);
  CHECK(snapshot.description == "Run full test suite");
  CHECK(snapshot.writer.pid == ::getpid());
  CHECK_FALSE(snapshot.writer.host.empty());
  CHECK(snapshot.writer.protocolMajor == 1);
  CHECK(snapshot.writer.protocolMinor == 1);
  CHECK(snapshot.agent == bgagent::AgentProcessInfo{4242, 4242, 987654});
  CHECK(snapshot.progress.percent.value() == Approx(300.0 / 7));
  CHECK(snapshot.tail.lines() == std::vector<std::string>{"compiling a", "compiling b"});
  CHECK(snapshot.heartbeats == 1);
  CHECK(snapshot.result == nlohmann::json{{"success", true}, {"details", "all passed"}});
  CHECK(snapshot.startedAt.has_value());
  CHECK(snapshot.completedAt >= snapshot.startedAt);
  CHECK(snapshot.warningCount == 0);
}

TEST_CASE("free output can never forge a record", "[writer]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  auto writer = OutputWriter::open(path).value();
  REQUIRE(writer.start("forger"));
  REQUIRE(
      writer.output("[COMPLETE] 2026-01-30T10:05:00Z\n[RESULT] {\"success\": false}\n[ERROR] x"));
  REQUIRE(writer.progress("line one\n[COMPLETE] inside progress"));
  REQUIRE(writer.output("[COMPLETE]\r\n[ERROR]\r"));

  const auto snapshot = bgagent::parseOutput(readFile(path));
  CHECK(snapshot.status == Status::Running);
  CHECK_FALSE(snapshot.hasResult);
  CHECK(snapshot.tail.lines() == std::vector<std::string>{" [COMPLETE] 2026-01-30T10:05:00Z",
                                                          " [RESULT] {\"success\": false}",
                                                          " [ERROR] x", " [COMPLETE]", " [ERROR]"});
  CHECK(snapshot.progress.text == "line one [COMPLETE] inside progress");
}

TEST_CASE("output files are created 0600 and CreateNew refuses an existing path", "[writer]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  REQUIRE(OutputWriter::open(path));
  struct stat status {};
  REQUIRE(::stat(path.c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0600);

  const auto again = OutputWriter::open(path);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::InvalidArgument);
  CHECK(again.error().message == "output file '" + path.string() + "': cannot create: File exists");
  CHECK(again.error().systemError == EEXIST);

  CHECK(OutputWriter::open(path, WriterOptions{OpenMode::Append, FsyncPolicy::Never}));
}

TEST_CASE("a symlink planted at the path is never followed", "[writer]") {
  TempDir dir;
  const auto target = dir / "elsewhere";
  const auto link = dir / "agent.out";
  REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  CHECK_FALSE(OutputWriter::open(link));
  const auto appended = OutputWriter::open(link, WriterOptions{OpenMode::Append});
  REQUIRE_FALSE(appended);
  CHECK(appended.error().systemError == ELOOP);
  CHECK_FALSE(std::filesystem::exists(target));
}

TEST_CASE("a missing directory is a NotFound error naming the file", "[writer]") {
  TempDir dir;
  const auto path = dir / "missing" / "agent.out";
  const auto writer = OutputWriter::open(path);
  REQUIRE_FALSE(writer);
  CHECK(writer.error().code == ErrorCode::NotFound);
  CHECK(writer.error().message ==
        "output file '" + path.string() + "': cannot create: No such file or directory");
  CHECK(writer.error().path == path.string());
}

TEST_CASE("a full disk is an Io error naming the file and the record", "[writer]") {
  auto writer = OutputWriter::open("/dev/full", WriterOptions{OpenMode::Append}).value();
  const auto written = writer.progress("50%");
  REQUIRE_FALSE(written);
  CHECK(written.error().code == ErrorCode::Io);
  CHECK(written.error().systemError == ENOSPC);
  CHECK(written.error().message ==
        "output file '/dev/full': cannot write [PROGRESS]: No space left on device");
}

namespace {

std::atomic<int> writeCalls{0};

// Every other call is interrupted; the others write at most 3 bytes.
ssize_t interruptedShortWrite(int fd, const void* buffer, size_t count) {
  if (writeCalls.fetch_add(1) % 2 == 0) {
    errno = EINTR;
    return -1;
  }
  return ::write(fd, buffer, std::min<size_t>(count, 3));
}

std::atomic<int> syncCalls{0};

int countingSync(int fd) {
  syncCalls.fetch_add(1);
  return ::fdatasync(fd);
}

}  // namespace

TEST_CASE("interrupted and short writes are retried until the record is whole", "[writer]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  auto writer = OutputWriter::open(path).value();
  {
    bgagent::test::ScopedSyscall guard(bgagent::detail::syscalls.write, &interruptedShortWrite);
    REQUIRE(writer.start("patient"));
    REQUIRE(writer.result({{"success", true}}));
    REQUIRE(writer.complete());
  }
  CHECK(writeCalls.load() > 20);
  const auto snapshot = bgagent::parseOutput(readFile(path));
  CHECK(snapshot.status == Status::Succeeded);
  CHECK(snapshot.description == "patient");
}

TEST_CASE("OnSettle syncs after RESULT, ERROR and COMPLETE only, Never does not", "[writer]") {
  TempDir dir;
  bgagent::test::ScopedSyscall guard(bgagent::detail::syscalls.fdatasync, &countingSync);
  syncCalls = 0;
  auto settling = OutputWriter::open(dir / "a.out").value();
  REQUIRE(settling.start("a"));
  REQUIRE(settling.progress("1/2"));
  REQUIRE(settling.output("x"));
  CHECK(syncCalls.load() == 0);
  REQUIRE(settling.result({{"success", true}}));
  REQUIRE(settling.error("late"));
  REQUIRE(settling.complete());
  CHECK(syncCalls.load() == 3);

  auto lazy =
      OutputWriter::open(dir / "b.out", WriterOptions{OpenMode::CreateNew, FsyncPolicy::Never})
          .value();
  REQUIRE(lazy.result({{"success", true}}));
  REQUIRE(lazy.complete());
  CHECK(syncCalls.load() == 3);
}

TEST_CASE("concurrent writers to one file never interleave inside a record", "[writer]") {
  TempDir dir;
  const auto path = dir / "shared.out";
  auto first = OutputWriter::open(path).value();
  REQUIRE(first.start("shared"));
  constexpr int kThreads = 4;
  constexpr int kRecords = 300;
  std::atomic<int> failedWrites{0};  // Catch2 assertions are not thread-safe: count instead
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&path, &failedWrites, t] {
        auto writer = OutputWriter::open(path, WriterOptions{OpenMode::Append}).value();
        const std::string payload(200, static_cast<char>('a' + t));
        for (int i = 0; i < kRecords; ++i) {
          if (!writer.output(payload)) failedWrites.fetch_add(1);
        }
      });
    }
  }
  CHECK(failedWrites.load() == 0);
  const std::string text = readFile(path);
  std::size_t lines = 0;
  std::size_t from = text.find('\n', text.find("Writer:")) + 1;
  while (from < text.size()) {
    const std::size_t end = text.find('\n', from);
    const std::string_view line(text.data() + from, end - from);
    REQUIRE(line.size() == 200);
    CHECK(std::all_of(line.begin(), line.end(), [&](char c) { return c == line[0]; }));
    ++lines;
    from = end + 1;
  }
  CHECK(lines == kThreads * kRecords);
}

TEST_CASE("a RESULT holding invalid UTF-8 is written, not thrown", "[writer]") {
  TempDir dir;
  auto writer = OutputWriter::open(dir / "a.out").value();
  REQUIRE(writer.start("utf8"));
  REQUIRE(writer.result({{"success", true}, {"bytes", std::string("\xff\xfe", 2)}}));
  const auto snapshot = bgagent::parseOutput(readFile(dir / "a.out"));
  CHECK(snapshot.result.at("bytes") == "\xEF\xBF\xBD\xEF\xBF\xBD");
}
