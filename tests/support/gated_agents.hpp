// SPDX-License-Identifier: MIT
// Deterministic agents for combinator tests: in-process agents released by gates (no sleeps),
// and a guard that waits until every agent of a test has finished its file.
#pragma once

#include <algorithm>
#include <bgagent/agents/agent_registry.hpp>
#include <bgagent/runtime/wait.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "test_support.hpp"

namespace bgagent::test {

// Opened by the test; an agent waits on it until opened or stopped.
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }
  /// True when opened, false when the stop token fired first.
  bool waitOrStop(const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    return opened_.wait(lock, stop, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable_any opened_;
  bool open_ = false;  // guarded by mutex_
};

// Gates live as long as the test program: an input that a combinator cancelled or left running
// may still be finishing (its thread joined by whoever drops the input last) after its test
// has returned.
inline std::shared_ptr<Gate> keptGate() {
  static std::mutex mutex;
  static std::vector<std::shared_ptr<Gate>> everyGate;
  std::lock_guard lock(mutex);
  return everyGate.emplace_back(std::make_shared<Gate>());
}

inline std::tuple<std::shared_ptr<Gate>, std::shared_ptr<Gate>, std::shared_ptr<Gate>> gates() {
  return {keptGate(), keptGate(), keptGate()};
}

// An in-process agent that returns `value` when its gate opens, or fails when `fails`;
// stopped before that, it throws "stopped".
inline bgagent::Task<int> gated(const TempDir& dir, const std::string& name,
                                std::shared_ptr<Gate> gate, int value, bool fails = false) {
  bgagent::LaunchOptions options;
  options.description = name;
  options.outputDirectory = dir.path();
  return bgagent::runInThread(options,
                              [gate, value, fails](std::stop_token stop, bgagent::OutputWriter&) {
                                if (!gate->waitOrStop(stop)) throw std::runtime_error("stopped");
                                if (fails) throw std::runtime_error("failed on purpose");
                                return value;
                              });
}

// Waits, at the end of a test, until every agent in `dir` has completed its file: inputs that a
// combinator cancelled or left running finish before the test's directory and gates go.
class EveryAgentFinished {
 public:
  explicit EveryAgentFinished(const TempDir& dir) : dir_(dir) {}
  EveryAgentFinished(const EveryAgentFinished&) = delete;
  EveryAgentFinished& operator=(const EveryAgentFinished&) = delete;
  ~EveryAgentFinished() {
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      // A file already complete may be removed by its task's cleanup at any moment: a wait
      // that began after that would wait for it to appear again until its timeout.
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string text(std::istreambuf_iterator<char>(in), {});
      if (!in.is_open() || text.find("\n[COMPLETE]") != std::string::npos) continue;
      bgagent::WaitOptions options;
      options.timeout = std::chrono::seconds(20);
      // Complete, not merely settled: a cancelled agent's ending (ERROR, RESULT, COMPLETE) is
      // one record, so the file is complete when its agent is done.
      (void)bgagent::waitForCompletion(entry.path(), options);
    }
  }

 private:
  const TempDir& dir_;
};

inline std::vector<bgagent::Task<int>> moveIn(bgagent::Task<int> a, bgagent::Task<int> b,
                                              bgagent::Task<int> c) {
  std::vector<bgagent::Task<int>> tasks;
  tasks.push_back(std::move(a));
  tasks.push_back(std::move(b));
  tasks.push_back(std::move(c));
  return tasks;
}

inline bgagent::LaunchOptions shell(const TempDir& dir, std::string description,
                                    std::string command) {
  bgagent::LaunchOptions options;
  options.description = std::move(description);
  options.prompt = std::move(command);
  options.outputDirectory = dir.path();
  return options;
}

// An in-process agent that returns `value` at once.
inline bgagent::Task<int> immediate(const TempDir& dir, const std::string& name, int value) {
  bgagent::LaunchOptions options;
  options.description = name;
  options.outputDirectory = dir.path();
  return bgagent::runInThread(options,
                              [value](std::stop_token, bgagent::OutputWriter&) { return value; });
}

// An in-process agent that fails at once with `message`.
inline bgagent::Task<int> failing(const TempDir& dir, const std::string& name,
                                  std::string message) {
  bgagent::LaunchOptions options;
  options.description = name;
  options.outputDirectory = dir.path();
  return bgagent::runInThread(options, [message](std::stop_token, bgagent::OutputWriter&) -> int {
    throw std::runtime_error(message);
  });
}

// How many agents ran at once at most, from the agents' own records: each appends "+" when it
// starts and "-" before it exits to one shared log (O_APPEND: whole lines).
inline std::size_t mostAtOnce(const std::filesystem::path& log) {
  std::size_t running = 0;
  std::size_t most = 0;
  std::ifstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    if (line == "+") most = std::max(most, ++running);
    if (line == "-") --running;
  }
  return most;
}

inline std::string loggedCommand(const std::filesystem::path& log, const std::string& work) {
  return "echo + >> '" + log.string() + "'; " + work + "; status=$?; echo - >> '" + log.string() +
         "'; exit $status";
}

}  // namespace bgagent::test
