// SPDX-License-Identifier: MIT
// benchmarks/spawn_bench.cpp: launching agents (issue 5) against the floors it sits on.
//
// spawn_200_true_2_in_flight: 200 jobs that run `true` through /bin/sh, at most 2 at once,
// from the first launch until all have settled (manual time; jobs/s is 200 / that time).
//   bgagent: launch() a "Bash" agent per job, each with its own output file in a temporary
//     directory (CleanupPolicy::DeleteAlways), and Task::wait() on the oldest before launching
//     the next;
//   baselines: a raw posix_spawn + waitpid(-1) loop of `/bin/sh -c true` (the floor),
//     `seq 200 | xargs -P2 -I{} sh -c true`, `seq 200 | parallel --will-cite -j2 sh -c true`.
// function_agent: one in-process agent per iteration (runInThread with a body that returns
// 42, then wait()), against std::async with the same body.
//
// Names follow `<case>/bgagent:<what>` and `<case>/baseline:<what>` (benchmarks/README.md).
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bgagent/agents/agent_registry.hpp>
#include <bgagent/agents/task.hpp>
#include <bgagent/protocol/output_writer.hpp>
#include <deque>
#include <future>
#include <string>
#include <vector>

#include "bench_support.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace {

constexpr int kJobs = 200;
constexpr int kInFlight = 2;

bgagent::LaunchOptions bashOptions(const bench::TempDir& dir) {
  bgagent::LaunchOptions options;
  options.description = "bench true";
  options.prompt = "true";
  options.agentType = "Bash";
  options.outputDirectory = dir.path();
  options.cleanup = bgagent::CleanupPolicy::DeleteAlways;
  return options;
}

void setJobCounters(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kJobs);
}

void bgagentBash(benchmark::State& state) {
  bench::TempDir dir;
  const bgagent::LaunchOptions options = bashOptions(dir);
  // The default runtime starts with the first launch: not timed.
  bool correct = bgagent::launch(options).wait().has_value();
  for (auto _ : state) {
    const std::int64_t start = bench::monotonicNs();
    std::deque<bgagent::Task<>> running;
    int launched = 0;
    int succeeded = 0;
    while (launched < kInFlight) {
      running.push_back(bgagent::launch(options));
      ++launched;
    }
    while (!running.empty()) {
      succeeded += running.front().wait().has_value() ? 1 : 0;
      running.pop_front();
      if (launched < kJobs) {
        running.push_back(bgagent::launch(options));
        ++launched;
      }
    }
    state.SetIterationTime(static_cast<double>(bench::monotonicNs() - start) / 1e9);
    correct = correct && succeeded == kJobs;
  }
  if (!correct) state.SkipWithError("an agent did not succeed");
  setJobCounters(state);
}

pid_t spawnShell(const char* command) {
  const char* argv[] = {"sh", "-c", command, nullptr};
  pid_t pid = -1;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): posix_spawn's historical signature
  if (::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
    return -1;
  }
  return pid;
}

void rawSpawnLoop(benchmark::State& state) {
  bool correct = true;
  for (auto _ : state) {
    const std::int64_t start = bench::monotonicNs();
    int launched = 0;
    int running = 0;
    int succeeded = 0;
    while (launched < kJobs || running > 0) {
      while (running < kInFlight && launched < kJobs) {
        if (spawnShell("true") < 0) break;
        ++launched;
        ++running;
      }
      int status = 0;
      if (::waitpid(-1, &status, 0) > 0) {
        --running;
        succeeded += WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 1 : 0;
      } else {
        break;
      }
    }
    state.SetIterationTime(static_cast<double>(bench::monotonicNs() - start) / 1e9);
    correct = correct && succeeded == kJobs;
  }
  if (!correct) state.SkipWithError("a job failed");
  setJobCounters(state);
  state.SetLabel("rate; target >= 0.8x");
}

void shellPipeline(benchmark::State& state, const char* command, const char* label) {
  bool correct = true;
  for (auto _ : state) {
    const std::int64_t start = bench::monotonicNs();
    const pid_t pid = spawnShell(command);
    int status = 0;
    correct = correct && pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
              WEXITSTATUS(status) == 0;
    state.SetIterationTime(static_cast<double>(bench::monotonicNs() - start) / 1e9);
  }
  if (!correct) state.SkipWithError("the pipeline failed (is GNU parallel installed?)");
  setJobCounters(state);
  state.SetLabel(label);
}

void bgagentFunction(benchmark::State& state) {
  bench::TempDir dir;
  bgagent::LaunchOptions options;
  options.description = "bench function";
  options.agentType = "Function";
  options.outputDirectory = dir.path();
  options.cleanup = bgagent::CleanupPolicy::DeleteAlways;
  const auto body = [](const std::stop_token&, bgagent::OutputWriter&) { return 42; };
  bool correct = bgagent::runInThread(options, body).wait().has_value();  // warm-up
  for (auto _ : state) {
    auto task = bgagent::runInThread(options, body);
    const auto value = task.wait();
    correct = correct && value.has_value() && *value == 42;
  }
  if (!correct) state.SkipWithError("a function agent did not return 42");
}

void asyncBaseline(benchmark::State& state) {
  bool correct = true;
  for (auto _ : state) {
    auto future = std::async(std::launch::async, [] { return 42; });
    correct = correct && future.get() == 42;
  }
  if (!correct) state.SkipWithError("std::async did not return 42");
  state.SetLabel("time");
}

bool registerBenchmarks() {
  using benchmark::kMicrosecond;
  using benchmark::kMillisecond;
  using benchmark::RegisterBenchmark;
  RegisterBenchmark(
      "spawn_200_true_2_in_flight/bgagent:launch(\"Bash\") + Task::wait, oldest first", bgagentBash)
      ->Unit(kMillisecond)
      ->Iterations(1)
      ->UseManualTime();
  RegisterBenchmark("spawn_200_true_2_in_flight/baseline:posix_spawn+waitpid sh -c true (floor)",
                    rawSpawnLoop)
      ->Unit(kMillisecond)
      ->Iterations(1)
      ->UseManualTime();
  RegisterBenchmark("spawn_200_true_2_in_flight/baseline:seq 200 | xargs -P2 -I{} sh -c true",
                    shellPipeline, "seq 200 | xargs -P2 -I{} sh -c true", "rate")
      ->Unit(kMillisecond)
      ->Iterations(1)
      ->UseManualTime();
  RegisterBenchmark("spawn_200_true_2_in_flight/baseline:seq 200 | parallel -j2 sh -c true",
                    shellPipeline, "seq 200 | parallel --will-cite -j2 sh -c true",
                    "rate; target >= 8x")
      ->Unit(kMillisecond)
      ->Iterations(1)
      ->UseManualTime();
  RegisterBenchmark("function_agent/bgagent:runInThread + wait", bgagentFunction)
      ->Unit(kMicrosecond)
      ->UseRealTime();
  RegisterBenchmark("function_agent/baseline:std::async + get", asyncBaseline)
      ->Unit(kMicrosecond)
      ->UseRealTime();
  return true;
}

const bool kRegistered = registerBenchmarks();

}  // namespace
