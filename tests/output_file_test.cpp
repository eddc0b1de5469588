// SPDX-License-Identifier: MIT
// OutputFile: reads only new bytes, survives missing, truncated, replaced and removed files,
// and refuses what is not a regular file, with errors that name the file.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <bgagent/protocol/output_file.hpp>
#include <cerrno>
#include <filesystem>
#include <string>

#include "catch.hpp"
#include "support/test_support.hpp"

using bgagent::ErrorCode;
using bgagent::OutputFile;
using bgagent::Status;
using bgagent::test::appendFile;
using bgagent::test::kCompleteLine;
using bgagent::test::kStartLine;
using bgagent::test::TempDir;
using bgagent::test::writeFile;

namespace {

std::atomic<int> preadCalls{0};

ssize_t countingPread(int fd, void* buffer, size_t count, off_t offset) {
  preadCalls.fetch_add(1);
  return ::pread(fd, buffer, count, offset);
}

ssize_t failingPread(int, void*, size_t, off_t) {
  errno = EIO;
  return -1;
}

}  // namespace

TEST_CASE("a file that does not exist yet is Pending, and is read once it appears", "[file]") {
  TempDir dir;
  OutputFile file(dir / "late.out");
  REQUIRE(file.refresh().value() == 0);
  CHECK(file.snapshot().status == Status::Pending);
  CHECK_FALSE(file.isOpen());

  writeFile(dir / "late.out", std::string(kStartLine) + "Task: late\n");
  CHECK(file.refresh().value() == 40);
  CHECK(file.snapshot().status == Status::Running);
  CHECK(file.snapshot().description == "late");
}

TEST_CASE("only appended bytes are read, and a poll that finds none costs one pread", "[file]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  writeFile(path, std::string(kStartLine) + "[PROGRESS] 1/4\n[PROG");
  OutputFile file(path);
  REQUIRE(file.readAppended().value() == 49);
  CHECK(file.snapshot().progress.updates == 1);
  CHECK(file.snapshot().pendingBytes == 5);

  bgagent::test::ScopedSyscall guard(bgagent::detail::syscalls.pread, &countingPread);
  preadCalls = 0;
  CHECK(file.readAppended().value() == 0);
  CHECK(preadCalls.load() == 1);

  appendFile(path, "RESS] 2/4\n");
  preadCalls = 0;
  CHECK(file.readAppended().value() == 10);
  CHECK(preadCalls.load() == 1);  // a short read means the end: no second call to learn it
  CHECK(file.offset() == 59);
  CHECK(file.snapshot().progress.percent == 50.0);
}

TEST_CASE("a file larger than the read buffer is read whole in one call", "[file]") {
  TempDir dir;
  const auto path = dir / "big.out";
  std::string text = kStartLine;
  while (text.size() < 300 * 1024) text += "a line of free output that is not short at all\n";
  text += kCompleteLine;
  writeFile(path, text);
  OutputFile file(path);
  CHECK(file.readAppended().value() == text.size());
  CHECK(file.snapshot().status == Status::Succeeded);
}

TEST_CASE("a truncated file is read again from its start, and the restart counted", "[file]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  writeFile(path, std::string(kStartLine) + "[ERROR] first run failed\n");
  OutputFile file(path);
  REQUIRE(file.refresh());
  CHECK(file.snapshot().status == Status::Failed);

  REQUIRE(::truncate(path.c_str(), 0) == 0);
  appendFile(path, kStartLine);
  REQUIRE(file.refresh());
  CHECK(file.snapshot().restarts == 1);
  CHECK(file.snapshot().status == Status::Running);
  CHECK(file.offset() == 29);
}

TEST_CASE("a file replaced by rename is read from the new file's start", "[file]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  writeFile(path, std::string(kStartLine) + "old output that is long enough\n");
  OutputFile file(path);
  REQUIRE(file.refresh());

  writeFile(dir / "next.out", std::string(kStartLine) + kCompleteLine);
  std::filesystem::rename(dir / "next.out", path);
  REQUIRE(file.refresh());
  CHECK(file.snapshot().restarts == 1);
  CHECK(file.snapshot().status == Status::Succeeded);
  CHECK(file.snapshot().tail.empty());
}

TEST_CASE("a file removed before COMPLETE is a NotFound error until one appears again", "[file]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  writeFile(path, kStartLine);
  OutputFile file(path);
  REQUIRE(file.refresh());
  std::filesystem::remove(path);

  for (int i = 0; i < 2; ++i) {
    const auto refreshed = file.refresh();
    REQUIRE_FALSE(refreshed);
    CHECK(refreshed.error().code == ErrorCode::NotFound);
    CHECK(refreshed.error().message ==
          "output file '" + path.string() + "': was removed before [COMPLETE]");
  }
  CHECK(file.snapshot().status == Status::Running);  // what was read is kept

  writeFile(path, std::string(kStartLine) + kCompleteLine);
  REQUIRE(file.refresh());
  CHECK(file.snapshot().status == Status::Succeeded);
  CHECK(file.snapshot().restarts == 1);
}

TEST_CASE("a file removed after COMPLETE is cleanup, not an error", "[file]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  writeFile(path, std::string(kStartLine) + kCompleteLine);
  OutputFile file(path);
  REQUIRE(file.refresh());
  std::filesystem::remove(path);
  CHECK(file.refresh().value() == 0);
  CHECK(file.snapshot().status == Status::Succeeded);
}

// A reader that cannot hold a descriptor per file (the watcher, out of descriptors) lets go of
// it between reads and loses nothing: the same file goes on where it was, another starts over.
TEST_CASE("a file read without holding its descriptor goes on, or starts over when replaced",
          "[file]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  writeFile(path, std::string(kStartLine) + "[PROGRESS] 1/4\n");
  OutputFile file(path);
  REQUIRE(file.refresh().value() == 44);
  file.closeDescriptor();
  CHECK_FALSE(file.isOpen());

  appendFile(path, "[PROGRESS] 2/4\n");
  CHECK(file.refresh().value() == 15);  // only the new bytes
  CHECK(file.snapshot().progress.updates == 2);
  CHECK(file.snapshot().restarts == 0);
  file.closeDescriptor();

  const auto replacement = dir / "replacement.out";
  writeFile(replacement, std::string(kStartLine) + "[PROGRESS] 3/4\n");
  std::filesystem::rename(replacement, path);
  CHECK(file.refresh().value() == 44);
  CHECK(file.snapshot().progress.updates == 1);
  CHECK(file.snapshot().restarts == 1);
  file.closeDescriptor();

  std::filesystem::remove(path);
  const auto removed = file.refresh();
  REQUIRE_FALSE(removed);
  CHECK(removed.error().code == ErrorCode::NotFound);
  CHECK(removed.error().message ==
        "output file '" + path.string() + "': was removed before [COMPLETE]");
}

TEST_CASE("a directory or a FIFO at the path is refused without blocking", "[file]") {
  TempDir dir;
  std::filesystem::create_directory(dir / "a.out");
  OutputFile directory(dir / "a.out");
  const auto refused = directory.refresh();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::InvalidArgument);
  CHECK(refused.error().message ==
        "output file '" + (dir / "a.out").string() + "': is a directory, not a file");

  REQUIRE(::mkfifo((dir / "fifo.out").c_str(), 0600) == 0);
  OutputFile fifo(dir / "fifo.out");
  const auto fifoRefused = fifo.refresh();
  REQUIRE_FALSE(fifoRefused);
  CHECK(fifoRefused.error().message ==
        "output file '" + (dir / "fifo.out").string() + "': is not a regular file");
}

TEST_CASE("a read error is an Io error with the system's words", "[file]") {
  TempDir dir;
  writeFile(dir / "a.out", kStartLine);
  OutputFile file(dir / "a.out");
  bgagent::test::ScopedSyscall guard(bgagent::detail::syscalls.pread, &failingPread);
  const auto read = file.refresh();
  REQUIRE_FALSE(read);
  CHECK(read.error().code == ErrorCode::Io);
  CHECK(read.error().systemError == EIO);
  CHECK(read.error().message ==
        "output file '" + (dir / "a.out").string() + "': cannot read: Input/output error");
}

TEST_CASE("parse errors from a file name the file and line", "[file]") {
  TempDir dir;
  writeFile(dir / "a.out",
            std::string(kStartLine) + "x\n[RESULT]\n{\"success\": \n" + kCompleteLine);
  OutputFile file(dir / "a.out");
  REQUIRE(file.refresh());
  REQUIRE(file.snapshot().error);
  CHECK(file.snapshot().error->message ==
        "output file '" + (dir / "a.out").string() +
            "' line 3: RESULT is not valid JSON: syntax error while parsing value - unexpected "
            "end of input; expected '[', '{', or a literal (the JSON parser stopped on line 4)");
}

TEST_CASE("output files close their descriptors", "[file]") {
  TempDir dir;
  writeFile(dir / "a.out", kStartLine);
  const bgagent::test::ResourceCounts before;
  {
    std::vector<OutputFile> files;
    for (int i = 0; i < 50; ++i) {
      files.emplace_back(dir / "a.out");
      REQUIRE(files.back().refresh());
    }
    CHECK(before.descriptorsAdded() == 50);
  }
  CHECK_FALSE(before.leaked());
}
