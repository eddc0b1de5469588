// Deterministic agents for combinator tests: in-process agents released by gates (no sleeps),
// and a guard that waits until every agent of a test has finished its file.
#pragma once

#include <bgagent/agent_registry.hpp>
#include <bgagent/wait.hpp>
#include <condition_variable>
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

}  // namespace bgagent::test
