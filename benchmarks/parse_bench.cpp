// SPDX-License-Identifier: MIT
// benchmarks/parse_bench.cpp: OutputParser and OutputFile against the floors they sit on.
//
// Every bgagent figure is paired with a baseline measured in the same run (STYLE.md bullet
// 19). Names follow `<case>/bgagent:<what>` and `<case>/baseline:<what>`; a baseline's label
// says how run.sh compares the pair ("throughput" or "time") and the target for the ratio
// bgagent / baseline. Files live in a fresh directory under $TMPDIR (default /tmp), removed
// when each benchmark ends.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bgagent/protocol/output_file.hpp>
#include <bgagent/protocol/output_parser.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "bench_support.hpp"

// Every DoNotOptimize below takes a const value: the non-const overload's "+m,r" asm operand
// makes GCC 12 read back a wrong value afterwards (google/benchmark#903, GCC PR 92597); here
// it turned a correct line count into a failed check.

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunkBytes = 64 * 1024;         // what OutputFile reads at once
constexpr std::size_t kCorpusBytes = 8 * 1024 * 1024;  // parser inputs (a, b)
constexpr std::size_t kGrowLineBytes = 100;            // growth benchmarks (d)

// ---- helpers ------------------------------------------------------------------------------

using bench::Fd;
using bench::openOrThrow;
using bench::TempDir;
using bench::writeAll;

// A fresh, empty file at `path` (a new inode, so no cached pages of the last run linger).
Fd createAppendOnly(const std::string& path) {
  ::unlink(path.c_str());
  return openOrThrow(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND);
}

void writeFile(const std::string& path, std::string_view bytes) {
  Fd fd = createAppendOnly(path);
  writeAll(fd.get(), bytes);
}

// The floor for reading a file once: open, pread 64 KiB at a time, close. Returns the size.
std::size_t readWholeFile(const std::string& path, std::vector<char>& buffer) {
  Fd fd = openOrThrow(path, O_RDONLY);
  std::size_t total = 0;
  while (true) {
    const ssize_t count =
        ::pread(fd.get(), buffer.data(), buffer.size(), static_cast<off_t>(total));
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) throw std::system_error(errno, std::generic_category(), "pread " + path);
    if (count == 0) return total;
    total += static_cast<std::size_t>(count);
  }
}

// The hand-written poll a user reaches for first (and the seed's loop): read the whole file
// into a string and look for the marker.
bool rereadAndFindComplete(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str().find("[COMPLETE]") != std::string::npos;
}

// The baseline of (a) and (b): the least work that still finds every line.
std::uint64_t countLines(std::string_view text) noexcept {
  std::uint64_t lines = 0;
  const char* cursor = text.data();
  const char* const end = cursor + text.size();
  while (const void* found = std::memchr(cursor, '\n', static_cast<std::size_t>(end - cursor))) {
    ++lines;
    cursor = static_cast<const char*>(found) + 1;
  }
  return lines;
}

// ---- generated output files ---------------------------------------------------------------

constexpr std::string_view kHeader =
    "[START] 2026-01-30T10:00:00.000Z\n"
    "Task: build and test everything\n"
    "Writer: pid=4242 host=bench protocol=1.0\n";
constexpr std::string_view kTrailer =
    "[RESULT] {\"success\": true, \"details\": \"all green\"}\n"
    "[COMPLETE] 2026-01-30T10:05:00.000Z\n";
constexpr std::string_view kWords[] = {"compiled",
                                       "src/agent_runner.cpp",
                                       "in",
                                       "42",
                                       "ms",
                                       "warning:",
                                       "unused",
                                       "variable",
                                       "'count'",
                                       "linking",
                                       "libbgagent_core.a",
                                       "test",
                                       "passed",
                                       "(0.31 s)",
                                       "ok"};

// A compiler-or-test-log line of exactly `length` bytes, '\n' included; never starts with '['.
std::string logLine(std::minstd_rand& random, std::uint64_t number, std::size_t length) {
  std::string line = "2026-01-30 10:00:" + std::to_string(10 + number % 50) + ".123 INFO worker-" +
                     std::to_string(number % 8) + ":";
  while (line.size() + 1 < length) {
    line += ' ';
    line += kWords[random() % std::size(kWords)];
  }
  line.resize(length - 1);
  line += '\n';
  return line;
}

// A parser input and its line count, computed once so a benchmark call does no setup work
// (callgrind mode counts everything inside the benchmark function).
struct Corpus {
  explicit Corpus(std::string bytes) : text(std::move(bytes)), lines(countLines(text)) {}
  std::string text;
  std::uint64_t lines;
};

// (a) Mostly free lines of 80-120 bytes, a PROGRESS every 200 lines.
const Corpus& logHeavyOutput() {
  static const Corpus corpus([] {
    std::minstd_rand random(42);
    std::string out(kHeader);
    for (std::uint64_t line = 1; out.size() + kTrailer.size() < kCorpusBytes; ++line) {
      if (line % 200 == 0) {
        out += "[PROGRESS] " + std::to_string(line / 200) + "/500 building\n";
      } else {
        out += logLine(random, line, 80 + random() % 41);
      }
    }
    out += kTrailer;
    return out;
  }());
  return corpus;
}

// (b) Every line a marker: PROGRESS with a k/n percentage, a HEARTBEAT every 50 lines.
const Corpus& markerDenseOutput() {
  static const Corpus corpus([] {
    std::string out(kHeader);
    for (std::uint64_t line = 1; out.size() + kTrailer.size() < kCorpusBytes; ++line) {
      if (line % 50 == 0) {
        out += "[HEARTBEAT] 2026-01-30T10:01:00.000Z\n";
      } else {
        out += "[PROGRESS] " + std::to_string(line % 346) + "/345 step\n";
      }
    }
    out += kTrailer;
    return out;
  }());
  return corpus;
}

// (d) A protocol file of `bytes` bytes in 100-byte lines (a PROGRESS every 200), kept as the
// lines a writer appends one at a time.
struct GrowingOutput {
  std::string text;
  std::vector<std::string_view> lines;
};

const GrowingOutput& growingOutput(std::size_t bytes) {
  static std::map<std::size_t, GrowingOutput> cache;
  const auto found = cache.find(bytes);
  if (found != cache.end()) return found->second;

  constexpr std::string_view kComplete = "[COMPLETE] 2026-01-30T10:05:00.000Z\n";
  std::minstd_rand random(7);
  std::vector<std::size_t> ends;
  std::string text;
  auto append = [&](std::string_view line) {
    text += line;
    ends.push_back(text.size());
  };
  append("[START] 2026-01-30T10:00:00.000Z\n");
  append("Task: grow a file line by line\n");
  for (std::uint64_t line = 1; text.size() + kGrowLineBytes + kComplete.size() <= bytes; ++line) {
    if (line % 200 == 0) {
      std::string progress = "[PROGRESS] " + std::to_string(line / 200) + "/1000 building";
      progress.resize(kGrowLineBytes - 1, '.');
      append(progress + '\n');
    } else {
      append(logLine(random, line, kGrowLineBytes));
    }
  }
  append(kComplete);

  GrowingOutput& output = cache[bytes];
  output.text = std::move(text);
  std::size_t start = 0;
  for (std::size_t end : ends) {
    output.lines.emplace_back(output.text.data() + start, end - start);
    start = end;
  }
  return output;
}

void setGrowthCounters(benchmark::State& state, const GrowingOutput& output) {
  state.counters["file_bytes"] = static_cast<double>(output.text.size());
  state.counters["lines"] = static_cast<double>(output.lines.size());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(output.text.size()));
}

// ---- (a), (b): parser throughput ----------------------------------------------------------

void parseInChunks(benchmark::State& state, const Corpus* corpus) {
  const std::string& text = corpus->text;
  std::uint64_t lines = 0;
  bgagent::Status status = bgagent::Status::Pending;
  for (auto _ : state) {
    bgagent::OutputParser parser;
    std::string_view rest(text);
    while (!rest.empty()) {
      const std::string_view chunk = rest.substr(0, kChunkBytes);
      parser.feed(chunk);
      rest.remove_prefix(chunk.size());
    }
    lines = parser.snapshot().lines;
    status = parser.snapshot().status;
    benchmark::DoNotOptimize(std::as_const(lines));
  }
  if (lines != corpus->lines || status != bgagent::Status::Succeeded) {
    state.SkipWithError("the parser did not read the corpus as a succeeded file");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(text.size()));
  state.counters["file_bytes"] = static_cast<double>(text.size());
  state.counters["lines"] = static_cast<double>(corpus->lines);
}

void countLinesWithMemchr(benchmark::State& state, const Corpus* corpus) {
  for (auto _ : state) {
    const std::uint64_t lines = countLines(corpus->text);
    benchmark::DoNotOptimize(lines);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(corpus->text.size()));
  state.counters["file_bytes"] = static_cast<double>(corpus->text.size());
  state.counters["lines"] = static_cast<double>(corpus->lines);
  state.SetLabel("throughput; target >= 0.5x");
}

// ---- (c): a poll that finds nothing new -----------------------------------------------------

constexpr std::string_view kSmallComplete =
    "[START] 2026-01-30T10:00:00.000Z\nTask: idle\n[PROGRESS] 1/2 half\n[COMPLETE] "
    "2026-01-30T10:00:01.000Z\n";

// An OutputFile that has read all of a settled file; `poll` is readAppended or refresh.
template <typename Poll>
void pollIdleFile(benchmark::State& state, Poll poll) {
  TempDir dir;
  const std::string path = dir.file("idle.out");
  writeFile(path, kSmallComplete);
  bgagent::OutputFile file(path);
  if (!file.readAppended()) {
    state.SkipWithError("cannot read the file");
    return;
  }
  for (auto _ : state) {
    const auto read = poll(file);
    benchmark::DoNotOptimize(read);
  }
  const auto last = poll(file);
  if (!last || *last != 0 || file.offset() != kSmallComplete.size()) {
    state.SkipWithError("the idle poll read something");
  }
}

void pollIdleReadAppended(benchmark::State& state) {
  pollIdleFile(state, [](bgagent::OutputFile& file) { return file.readAppended(); });
}

void pollIdleRefresh(benchmark::State& state) {
  pollIdleFile(state, [](bgagent::OutputFile& file) { return file.refresh(); });
}

// The floor of a poll: one pread at end of file on a descriptor kept open. With `withStats`,
// also the fstat + stat that refresh() adds to notice truncation and replacement.
void pollIdleRaw(benchmark::State& state, bool withStats) {
  TempDir dir;
  const std::string path = dir.file("idle.out");
  writeFile(path, kSmallComplete);
  const Fd fd = openOrThrow(path, O_RDONLY);
  std::vector<char> buffer(kChunkBytes);
  const auto end = static_cast<off_t>(kSmallComplete.size());
  for (auto _ : state) {
    const ssize_t count = ::pread(fd.get(), buffer.data(), buffer.size(), end);
    benchmark::DoNotOptimize(count);
    if (withStats) {
      struct stat opened {};
      struct stat named {};
      const int failures = ::fstat(fd.get(), &opened) + ::stat(path.c_str(), &named);
      benchmark::DoNotOptimize(failures);
      benchmark::DoNotOptimize(std::as_const(opened));
      benchmark::DoNotOptimize(std::as_const(named));
    }
  }
  state.SetLabel(withStats ? "time" : "time; target <= 2x");
}

// ---- (d): a file that grows line by line ------------------------------------------------------

// bgagent: after every appended line, OutputFile::readAppended().
void growPollEveryLine(benchmark::State& state, std::size_t bytes) {
  const GrowingOutput& output = growingOutput(bytes);
  TempDir dir;
  const std::string path = dir.file("grow.out");
  bool correct = true;
  for (auto _ : state) {
    state.PauseTiming();
    Fd writer = createAppendOnly(path);
    std::optional<bgagent::OutputFile> reader(std::in_place, path);
    state.ResumeTiming();
    for (std::string_view line : output.lines) {
      writeAll(writer.get(), line);
      correct = reader->readAppended().has_value() && correct;
    }
    state.PauseTiming();
    correct = correct && reader->snapshot().status == bgagent::Status::Succeeded &&
              reader->offset() == output.text.size();
    reader.reset();  // closes outside the timed region
    writer.reset();
    state.ResumeTiming();
  }
  if (!correct) state.SkipWithError("the reader did not follow the file to [COMPLETE]");
  setGrowthCounters(state, output);
}

enum class GrowBaseline {
  WriteOnly,     // append every line, read nothing: the floor both sides share
  ReadOnce,      // append every line, then read the whole file once
  PreadPerLine,  // after every line, pread the new bytes and parse nothing: a poll's syscall floor
  NaiveReread,   // after every line, read the whole file into a string and look for [COMPLETE]
};

// Reads what was appended since `offset` the way OutputFile does (64 KiB preads until a short
// one), without parsing it.
std::size_t preadAppended(int fd, std::vector<char>& buffer, std::size_t& offset) {
  std::size_t total = 0;
  while (true) {
    const ssize_t count = ::pread(fd, buffer.data(), buffer.size(), static_cast<off_t>(offset));
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) throw std::system_error(errno, std::generic_category(), "pread");
    offset += static_cast<std::size_t>(count);
    total += static_cast<std::size_t>(count);
    if (static_cast<std::size_t>(count) < buffer.size()) return total;
  }
}

void growBaseline(benchmark::State& state, std::size_t bytes, GrowBaseline kind) {
  const GrowingOutput& output = growingOutput(bytes);
  TempDir dir;
  const std::string path = dir.file("grow.out");
  std::vector<char> buffer(kChunkBytes);
  bool correct = true;
  for (auto _ : state) {
    state.PauseTiming();
    Fd writer = createAppendOnly(path);
    state.ResumeTiming();
    bool found = false;
    Fd reader;
    std::size_t offset = 0;
    // Opened inside the timed region, as OutputFile's first readAppended() opens its file.
    if (kind == GrowBaseline::PreadPerLine) reader = openOrThrow(path, O_RDONLY);
    for (std::string_view line : output.lines) {
      writeAll(writer.get(), line);
      if (kind == GrowBaseline::NaiveReread) found = rereadAndFindComplete(path) || found;
      if (kind == GrowBaseline::PreadPerLine) preadAppended(reader.get(), buffer, offset);
    }
    if (kind == GrowBaseline::ReadOnce) {
      correct = readWholeFile(path, buffer) == output.text.size() && correct;
    }
    state.PauseTiming();
    if (kind == GrowBaseline::NaiveReread) correct = correct && found;
    if (kind == GrowBaseline::PreadPerLine) correct = correct && offset == output.text.size();
    reader.reset();
    writer.reset();
    state.ResumeTiming();
  }
  if (!correct) state.SkipWithError("the baseline did not read the whole file");
  setGrowthCounters(state, output);
  state.SetLabel(kind == GrowBaseline::ReadOnce && bytes == 10'000'000 ? "time; target <= 1.5x"
                                                                       : "time");
}

// The polling part alone: only the reads are timed, the writes between them are not. Each
// timed read is bracketed by two steady_clock reads (see clock/steady_clock_now).
void growPollingOnly(benchmark::State& state, std::size_t bytes, bool bgagentSide) {
  const GrowingOutput& output = growingOutput(bytes);
  TempDir dir;
  const std::string path = dir.file("grow.out");
  std::vector<char> buffer(kChunkBytes);
  bool correct = true;
  for (auto _ : state) {
    Fd writer = createAppendOnly(path);
    std::optional<bgagent::OutputFile> reader(std::in_place, path);
    Clock::duration reading{};
    for (std::string_view line : output.lines) {
      writeAll(writer.get(), line);
      if (bgagentSide) {
        const Clock::time_point start = Clock::now();
        correct = reader->readAppended().has_value() && correct;
        reading += Clock::now() - start;
      }
    }
    if (bgagentSide) {
      correct = correct && reader->snapshot().status == bgagent::Status::Succeeded;
    } else {
      const Clock::time_point start = Clock::now();
      correct = readWholeFile(path, buffer) == output.text.size() && correct;
      reading += Clock::now() - start;
    }
    state.SetIterationTime(std::chrono::duration<double>(reading).count());
  }
  if (!correct) state.SkipWithError("the reader did not read the whole file");
  setGrowthCounters(state, output);
  if (!bgagentSide) state.SetLabel("time");
}

void clockOverhead(benchmark::State& state) {
  for (auto _ : state) {
    const Clock::time_point now = Clock::now();
    benchmark::DoNotOptimize(now);
  }
  state.SetLabel("time");
}

// ---- registration ------------------------------------------------------------------------------

bool registerBenchmarks() {
  using benchmark::kMillisecond;
  using benchmark::kNanosecond;
  using benchmark::RegisterBenchmark;

  RegisterBenchmark("parse_log_heavy_8MiB/bgagent:OutputParser::feed(64KiB chunks)", parseInChunks,
                    &logHeavyOutput())
      ->Unit(kMillisecond)
      ->UseRealTime();
  RegisterBenchmark("parse_log_heavy_8MiB/baseline:memchr line count", countLinesWithMemchr,
                    &logHeavyOutput())
      ->Unit(kMillisecond)
      ->UseRealTime();
  RegisterBenchmark("parse_marker_dense_8MiB/bgagent:OutputParser::feed(64KiB chunks)",
                    parseInChunks, &markerDenseOutput())
      ->Unit(kMillisecond)
      ->UseRealTime();
  RegisterBenchmark("parse_marker_dense_8MiB/baseline:memchr line count", countLinesWithMemchr,
                    &markerDenseOutput())
      ->Unit(kMillisecond)
      ->UseRealTime();

  RegisterBenchmark("poll_no_new_bytes/bgagent:OutputFile::readAppended", pollIdleReadAppended)
      ->Unit(kNanosecond)
      ->UseRealTime();
  RegisterBenchmark("poll_no_new_bytes/baseline:pread at EOF", pollIdleRaw, false)
      ->Unit(kNanosecond)
      ->UseRealTime();
  RegisterBenchmark("poll_no_new_bytes_refresh/bgagent:OutputFile::refresh", pollIdleRefresh)
      ->Unit(kNanosecond)
      ->UseRealTime();
  RegisterBenchmark("poll_no_new_bytes_refresh/baseline:pread+fstat+stat", pollIdleRaw, true)
      ->Unit(kNanosecond)
      ->UseRealTime();

  for (const std::size_t bytes : {std::size_t{10'000'000}, std::size_t{1'000'000}}) {
    const std::string size = bytes == 10'000'000 ? "10MB" : "1MB";
    RegisterBenchmark(("grow_" + size + "/bgagent:write+readAppended per line").c_str(),
                      growPollEveryLine, bytes)
        ->Unit(kMillisecond)
        ->UseRealTime();
    RegisterBenchmark(("grow_" + size + "/baseline:write all+read once").c_str(), growBaseline,
                      bytes, GrowBaseline::ReadOnce)
        ->Unit(kMillisecond)
        ->UseRealTime();
  }
  RegisterBenchmark("grow_10MB/baseline:write+pread per line (no parse)", growBaseline, 10'000'000,
                    GrowBaseline::PreadPerLine)
      ->Unit(kMillisecond)
      ->UseRealTime();
  RegisterBenchmark("grow_10MB/baseline:write only", growBaseline, 10'000'000,
                    GrowBaseline::WriteOnly)
      ->Unit(kMillisecond)
      ->UseRealTime();
  // Quadratic: 1 MB re-reads about 5 GB in total; 10 MB would re-read about 500 GB. run.sh
  // extrapolates to 10 MB from these two sizes.
  RegisterBenchmark("grow_1MB/baseline:naive reread per line", growBaseline, 1'000'000,
                    GrowBaseline::NaiveReread)
      ->Unit(kMillisecond)
      ->UseRealTime();
  RegisterBenchmark("grow_0.5MB/baseline:naive reread per line", growBaseline, 500'000,
                    GrowBaseline::NaiveReread)
      ->Unit(kMillisecond)
      ->UseRealTime();

  RegisterBenchmark("grow_10MB_polling_only/bgagent:readAppended per line", growPollingOnly,
                    10'000'000, true)
      ->Unit(kMillisecond)
      ->UseManualTime();
  RegisterBenchmark("grow_10MB_polling_only/baseline:read once", growPollingOnly, 10'000'000, false)
      ->Unit(kMillisecond)
      ->UseManualTime();
  RegisterBenchmark("clock/baseline:steady_clock::now", clockOverhead)
      ->Unit(kNanosecond)
      ->UseRealTime();
  return true;
}

const bool kRegistered = registerBenchmarks();

}  // namespace
