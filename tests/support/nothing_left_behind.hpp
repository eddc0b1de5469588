// SPDX-License-Identifier: MIT
// What a test leaves behind: child processes, descriptors, threads. A test declares a
// NothingLeftBehind first, so it checks last, after every task of the test is gone.
#pragma once

#include <bgagent/bgagent.hpp>
#include <bgagent/runtime/detail/host_exit_guard.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "../catch.hpp"
#include "test_support.hpp"

namespace bgagent::test {

/// Children of this process, from /proc (zombies included: they are not reaped yet), but the
/// keepers of runtimes alive (the default one's lives as long as the process); that a runtime
/// reaps its own at its end is a test of its own.
inline std::size_t childProcessCount() {
  std::size_t count = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream children(task.path() / "children");
    std::string pid;
    while (children >> pid) {
      const std::string command = readFile("/proc/" + pid + "/cmdline");
      if (command.find(detail::HostExitGuard::kKeeperMarker) == std::string::npos) ++count;
    }
  }
  return count;
}

/// Waits until the default runtime has let go of every watch that could settle: it settles a
/// turn's watches one after another (closing each file after its callback), so two later turns
/// of its own guarantee it, and any released agent's thread has been handed to it.
inline void waitForWatcherTurns() {
  TempDir dir;
  writeFile(dir / "done.out", std::string(kStartLine) + kCompleteLine);
  for (int turn = 0; turn < 2; ++turn) {
    CHECK(waitForCompletion(dir / "done.out", std::chrono::seconds(20)).succeeded());
  }
}

/// Starts the default runtime's thread and its descriptors before a test counts what it leaves
/// behind; the warm-up agent's own descriptors are closed before it returns.
inline void warmUpSharedThreads() {
  TempDir dir;
  LaunchOptions options{.description = "warm-up", .prompt = "true"};
  options.outputDirectory = dir.path();
  REQUIRE(bgagent::launch(options).wait());
  REQUIRE(detail::DefaultRuntime::get()->processes().waitUntilIdle(std::chrono::seconds(20)));
  waitForWatcherTurns();
}

/// The runtime closes a child's descriptors just after its COMPLETE is visible, and joins
/// released agents' threads after their tasks settled: the check waits for both first.
struct NothingLeftBehind {
  bool warm = (warmUpSharedThreads(), true);
  ResourceCounts counts;
  ~NothingLeftBehind() {
    CHECK(detail::DefaultRuntime::get()->processes().waitUntilIdle(std::chrono::seconds(20)));
    waitForWatcherTurns();  // then the adopted threads, which it may have been handed, last
    CHECK(detail::DefaultRuntime::get()->threads().waitUntilIdle(std::chrono::seconds(20)));
    CHECK(childProcessCount() == 0);
    CHECK(counts.descriptorsAdded() == 0);
    CHECK(counts.threadsAdded() == 0);
  }
};

}  // namespace bgagent::test
