// SPDX-License-Identifier: MIT
// OutputFile: reads only new bytes, survives missing, truncated, replaced and removed files,
// and refuses what is not a regular file, with errors that name the file.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <bgagent/protocol/output_file.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>

#include "catch.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
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

std::atomic<int> openCalls{0};
std::atomic<int> statCalls{0};
std::atomic<int> fstatCalls{0};
std::atomic<int> statxCalls{0};

int countingOpen(const char* path, int flags, mode_t mode) {
  openCalls.fetch_add(1);
  return ::open(path, flags, mode);
}

int countingStat(const char* path, struct stat* status) {
  statCalls.fetch_add(1);
  return ::stat(path, status);
}

int countingFstat(int fd, struct stat* status) {
  fstatCalls.fetch_add(1);
  return ::fstat(fd, status);
}

int countingStatx(int directory, const char* path, int flags, unsigned mask, struct statx* status) {
  statxCalls.fetch_add(1);
  return ::statx(directory, path, flags, mask, status);
}

// Counts the file calls above (and preads) for a scope, from zero.
class SyscallCounts {
 public:
  SyscallCounts() { reset(); }
  void reset() const {
    for (std::atomic<int>* count :
         {&openCalls, &statCalls, &fstatCalls, &statxCalls, &preadCalls}) {
      count->store(0);
    }
  }

 private:
  bgagent::test::ScopedSyscall<int (*)(const char*, int, mode_t)> open_{
      bgagent::detail::syscalls.open, &countingOpen};
  bgagent::test::ScopedSyscall<int (*)(const char*, struct stat*)> stat_{
      bgagent::detail::syscalls.stat, &countingStat};
  bgagent::test::ScopedSyscall<int (*)(int, struct stat*)> fstat_{bgagent::detail::syscalls.fstat,
                                                                  &countingFstat};
  bgagent::test::ScopedSyscall<int (*)(int, const char*, int, unsigned, struct statx*)> statx_{
      bgagent::detail::syscalls.statx, &countingStatx};
  bgagent::test::ScopedSyscall<ssize_t (*)(int, void*, size_t, off_t)> pread_{
      bgagent::detail::syscalls.pread, &countingPread};
};

// Sets `path`'s modification time a minute back: a file idle that long, whose time tells any
// later write apart.
void ageFile(const std::filesystem::path& path) {
  std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now() - 60s);
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

// A poller looks without being told of a change, at a file held open or let go of (a watcher
// holding more files than descriptors): while the file does not change, a look is one statx and
// opens or reads nothing; once it changes, it is opened (one fstat, no more) and read.
TEST_CASE("a file unchanged since it was read costs one statx a look, and is read once it changes",
          "[file]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  writeFile(path, kStartLine);
  ageFile(path);
  OutputFile file(path);
  REQUIRE(file.refresh().value() == 29);

  const SyscallCounts counts;
  // Held open and polled.
  CHECK(file.refreshIfChanged().value() == 0);
  CHECK(preadCalls.load() == 0);
  CHECK(statxCalls.load() == 1);
  appendFile(path, "[PROGRESS] 1/4\n");
  ageFile(path);
  CHECK(file.refreshIfChanged().value() == 15);
  CHECK(file.snapshot().progress.updates == 1);

  // Let go of.
  file.closeDescriptor();
  counts.reset();
  CHECK(file.refreshIfChanged().value() == 0);
  CHECK(file.refreshIfChanged().value() == 0);
  CHECK(openCalls.load() == 0);
  CHECK(preadCalls.load() == 0);
  CHECK(statxCalls.load() == 2);
  CHECK_FALSE(file.isOpen());

  appendFile(path, "[PROGRESS] 2/4\n");
  ageFile(path);
  counts.reset();
  CHECK(file.refreshIfChanged().value() == 15);
  CHECK(statxCalls.load() == 1);
  CHECK(openCalls.load() == 1);
  CHECK(fstatCalls.load() == 1);  // the open's own: no second look at what it just found
  CHECK(statCalls.load() == 0);
  CHECK(file.snapshot().progress.updates == 2);
  file.closeDescriptor();

  // Rewritten in place with as many bytes: its modification time says it changed, and its
  // other first bytes that it is another file.
  const std::string rewritten = std::string(kStartLine) + "[ERROR] the second run failed\n";
  REQUIRE(rewritten.size() == file.offset());
  const auto before = std::filesystem::last_write_time(path);
  writeFile(path, rewritten);
  std::filesystem::last_write_time(path, before + 1s);
  CHECK(file.refreshIfChanged().value() == rewritten.size());
  CHECK(file.snapshot().restarts == 1);
  CHECK(file.snapshot().status == Status::Failed);
}

// A modification time seen within the file system's granularity of when it was seen proves
// nothing: a write in the same tick keeps it. Such a file is opened and compared, not trusted.
TEST_CASE("a file rewritten in the tick it was read in is not taken for unchanged", "[file]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  writeFile(path, std::string(kStartLine) + "[PROGRESS] 1/4\n");
  OutputFile file(path);
  REQUIRE(file.refresh().value() == 44);
  file.closeDescriptor();

  const auto seen = std::filesystem::last_write_time(path);
  writeFile(path, std::string(kStartLine) + "[ERROR] failed\n");  // as many bytes
  std::filesystem::last_write_time(path, seen);                   // in the same tick
  CHECK(file.refreshIfChanged().value() == 44);
  CHECK(file.snapshot().restarts == 1);
  CHECK(file.snapshot().status == Status::Failed);
}

// Past the first bytes a reopen compares, a file let go of and truncated to fewer bytes than
// were read is another file's beginning: read from its start.
TEST_CASE("a file let go of and truncated past its first bytes is read from its start", "[file]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  std::string text(kStartLine);
  for (int step = 1; text.size() < 400; ++step) {
    text += "[PROGRESS] step " + std::to_string(step) + " done\n";
  }
  writeFile(path, text);
  OutputFile file(path);
  REQUIRE(file.refresh().value() == text.size());
  file.closeDescriptor();

  REQUIRE(::truncate(path.c_str(), 300) == 0);
  appendFile(path, "\n");
  REQUIRE(file.refresh());
  CHECK(file.snapshot().restarts == 1);
  CHECK(file.offset() == 301);
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
