// What a test leaves behind: child processes, descriptors, threads. A test declares a
// NothingLeftBehind first, so it checks last, after every task of the test is gone.
#pragma once

#include <bgagent/bgagent.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "../catch.hpp"
#include "test_support.hpp"

namespace bgagent::test {

/// Children of this process, from /proc (zombies included: they are not reaped yet).
inline std::size_t childProcessCount() {
  std::size_t count = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream children(task.path() / "children");
    std::string pid;
    while (children >> pid) ++count;
  }
  return count;
}

/// Starts the process-wide threads (watcher, supervisor, reaper, timer queue) and their
/// descriptors before a test counts what it leaves behind.
inline void warmUpSharedThreads() {
  TempDir dir;
  LaunchOptions options{.description = "warm-up", .prompt = "true"};
  options.outputDirectory = dir.path();
  REQUIRE(bgagent::launch(options).wait());
  REQUIRE(detail::ProcessSupervisor::shared().waitUntilIdle(std::chrono::seconds(20)));
  (void)detail::ThreadReaper::shared();
  (void)detail::TimerQueue::shared();
}

/// The shared supervisor closes a child's descriptors just after its COMPLETE is visible, and
/// the reaper joins released agents' threads after their tasks settled: the check waits for
/// both to be idle first.
struct NothingLeftBehind {
  bool warm = (warmUpSharedThreads(), true);
  ResourceCounts counts;
  ~NothingLeftBehind() {
    CHECK(detail::ProcessSupervisor::shared().waitUntilIdle(std::chrono::seconds(20)));
    // The shared watcher settles a turn's watches one after another: two later turns of its
    // own guarantee every watch that could settle has settled and closed its file, and handed
    // any released agent's thread to the reaper, which is awaited last.
    TempDir dir;
    writeFile(dir / "done.out", std::string(kStartLine) + kCompleteLine);
    for (int turn = 0; turn < 2; ++turn) {
      CHECK(waitForCompletion(dir / "done.out", std::chrono::seconds(20)).succeeded());
    }
    CHECK(detail::ThreadReaper::shared().waitUntilIdle(std::chrono::seconds(20)));
    CHECK(childProcessCount() == 0);
    CHECK(counts.descriptorsAdded() == 0);
    CHECK(counts.threadsAdded() == 0);
  }
};

}  // namespace bgagent::test
