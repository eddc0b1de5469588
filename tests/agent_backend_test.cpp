// SPDX-License-Identifier: MIT
// The agent-backend seam: a host's own backend, registered by name, gets its agents' tasks,
// combinators, cancellation, timeouts, detach and the runtime's shutdown exactly as the
// library's own backends do, through AgentBackend and RunningAgent alone.
#include <algorithm>
#include <atomic>
#include <bgagent/bgagent.hpp>
#include <cerrno>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "support/gated_agents.hpp"
#include "support/nothing_left_behind.hpp"
#include "support/test_support.hpp"
#include "support/wait_for_text.hpp"

using namespace std::chrono_literals;
using bgagent::AgentLink;
using bgagent::AgentStart;
using bgagent::ErrorCode;
using bgagent::LaunchOptions;
using bgagent::Result;
using bgagent::RunningAgent;
using bgagent::Status;
using bgagent::StopReason;
using bgagent::test::Gate;
using bgagent::test::keptGate;
using bgagent::test::NothingLeftBehind;
using bgagent::test::readFile;
using bgagent::test::TempDir;
using bgagent::test::waitForText;

// Outside the anonymous namespace: only from_json is used, and clang flags an unused to_json.
namespace backend_test {
struct Payload {
  int value = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Payload, value)
}  // namespace backend_test
using backend_test::Payload;

namespace {

// What the host asked of a backend's agents, in order.
class CallLog {
 public:
  void add(std::string call) {
    std::lock_guard lock(mutex_);
    calls_.push_back(std::move(call));
  }
  std::vector<std::string> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  bool contains(const std::string& call) const {
    const std::vector<std::string> all = calls();
    return std::find(all.begin(), all.end(), call) != all.end();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> calls_;  // guarded by mutex_
};

// Writes a PROGRESS line, then waits for its gate (a RESULT {"value": the prompt}) or a stop
// (an ERROR saying why, as the link reports it).
class GatedAgent final : public RunningAgent {
 public:
  GatedAgent(bgagent::OutputWriter writer, AgentLink link, std::shared_ptr<Gate> gate,
             std::shared_ptr<CallLog> log, int value, bool timesItselfOut)
      : link_(link), log_(std::move(log)), timesItselfOut_(timesItselfOut) {
    thread_ = std::jthread([writer = std::move(writer), link, gate = std::move(gate), value,
                            ended = ended_](const std::stop_token& stop) mutable {
      (void)writer.progress("waiting for the gate");
      if (gate->waitOrStop(stop)) {
        (void)writer.finish(std::nullopt, nlohmann::json{{"success", true}, {"value", value}});
      } else {
        (void)writer.finish("stopped: " + std::string(toString(link.stopReason())),
                            nlohmann::json{{"success", false}});
      }
      ended->store(true, std::memory_order_release);
      link.agentEnded();
    });
    stop_ = thread_.get_stop_source();
  }
  GatedAgent(const GatedAgent&) = delete;
  GatedAgent& operator=(const GatedAgent&) = delete;
  GatedAgent(GatedAgent&&) = delete;
  GatedAgent& operator=(GatedAgent&&) = delete;
  ~GatedAgent() override = default;

  void stop(StopReason reason) override {
    // The task recorded the reason before telling us: the ending reads it from the link.
    log_->add("stop " + std::string(toString(reason)));
    stop_.request_stop();
  }
  bool ended() const noexcept override { return ended_->load(std::memory_order_acquire); }
  bool timesItselfOut() const noexcept override { return timesItselfOut_; }
  void join() override {
    log_->add("join");
    if (thread_.joinable()) thread_.join();
  }
  void detach() override { log_->add("detach"); }  // its thread ends by itself; joined last

 private:
  AgentLink link_;
  std::shared_ptr<CallLog> log_;
  bool timesItselfOut_;
  std::shared_ptr<std::atomic<bool>> ended_ = std::make_shared<std::atomic<bool>>(false);
  std::stop_source stop_;
  std::jthread thread_;
};

class GatedBackend final : public bgagent::AgentBackend {
 public:
  explicit GatedBackend(bool timesItselfOut = false) : timesItselfOut_(timesItselfOut) {}

  Result<std::unique_ptr<RunningAgent>> start(AgentStart& start) const override {
    if (Result<void> made = start.createOutputFile(); !made) return made.error();
    std::unique_ptr<RunningAgent> agent =
        std::make_unique<GatedAgent>(std::move(start.writer()), start.link(), gate, log,
                                     std::stoi(start.options().prompt), timesItselfOut_);
    return agent;
  }

  std::shared_ptr<Gate> gate = keptGate();
  std::shared_ptr<CallLog> log = std::make_shared<CallLog>();

 private:
  bool timesItselfOut_;
};

// Fails as its prompt says: "refuse" before making the file, "fail" after, "throw" by throwing
// before, "throw-after" by throwing after, "null" by returning no agent.
class FailingBackend final : public bgagent::AgentBackend {
 public:
  Result<std::unique_ptr<RunningAgent>> start(AgentStart& start) const override {
    const std::string& how = start.options().prompt;
    if (how == "refuse") {
      return bgagent::Error{ErrorCode::InvalidArgument, "refused", "", 0, 0, {}};
    }
    if (how == "throw") throw std::runtime_error("the backend broke");
    if (how == "null") return std::unique_ptr<RunningAgent>();
    if (Result<void> made = start.createOutputFile(); !made) return made.error();
    if (how == "throw-after") throw std::runtime_error("the backend broke late");
    return bgagent::Error{ErrorCode::NotFound, "no such cluster", "", 0, 0, {}};
  }
};

// An agent whose file cannot take its ending: it says so through its link instead.
class LostEndingBackend final : public bgagent::AgentBackend {
  class Agent final : public RunningAgent {
   public:
    explicit Agent(std::jthread thread) : thread_(std::move(thread)) {}
    void stop(StopReason) override {}
    bool ended() const noexcept override { return false; }
    void join() override {
      if (thread_.joinable()) thread_.join();
    }

   private:
    std::jthread thread_;
  };

 public:
  Result<std::unique_ptr<RunningAgent>> start(AgentStart& start) const override {
    if (Result<void> made = start.createOutputFile(); !made) return made.error();
    std::unique_ptr<RunningAgent> agent =
        std::make_unique<Agent>(std::jthread([link = start.link(), path = start.outputPath()] {
          link.endingLost(bgagent::Error{ErrorCode::Io, "disk full", path.string(), 0, ENOSPC, {}});
        }));
    return agent;
  }
};

// A registry whose "Gated" type is a GatedBackend of its own.
struct GatedRegistry {
  std::shared_ptr<GatedBackend> backend = std::make_shared<GatedBackend>();
  bgagent::AgentRegistry registry;
  GatedRegistry() { registry.addBackend("Gated", backend); }
};

LaunchOptions gatedOptions(const TempDir& dir, std::string name, int value) {
  LaunchOptions options;
  options.description = std::move(name);
  options.prompt = std::to_string(value);
  options.agentType = "Gated";
  options.outputDirectory = dir.path();
  return options;
}

}  // namespace

TEST_CASE("a host's own backend runs agents of its type: files settle their tasks, typed",
          "[backend]") {
  TempDir dir;
  NothingLeftBehind check;
  auto [backend, registry] = GatedRegistry();
  CHECK(registry.contains("Gated"));
  std::vector<bgagent::Task<Payload>> tasks;
  LaunchOptions first = gatedOptions(dir, "first", 1);
  first.cleanup = bgagent::CleanupPolicy::Keep;  // read below, after it succeeded
  tasks.push_back(registry.launch<Payload>(first));
  tasks.push_back(registry.launch<Payload>(gatedOptions(dir, "second", 2)));
  const std::filesystem::path firstFile = tasks[0].outputPath();
  CHECK(firstFile.parent_path() == dir.path());
  waitForText(firstFile, "[PROGRESS] waiting for the gate");
  auto both = bgagent::all(std::move(tasks));
  CHECK(both.status() == Status::Running);
  backend->gate->open();
  const auto values = both.wait();
  REQUIRE(values);
  REQUIRE(values->size() == 2);
  CHECK((*values)[0].value == 1);
  CHECK((*values)[1].value == 2);
  const std::string text = readFile(firstFile);
  CHECK(text.find("Task: first") != std::string::npos);
  CHECK(text.find("\"value\": 1") != std::string::npos);
  CHECK(text.find("[COMPLETE]") != std::string::npos);
}

TEST_CASE("cancel and dropping an unsettled task reach a backend's agent as stop, then join",
          "[backend]") {
  TempDir dir;
  NothingLeftBehind check;
  auto [backend, registry] = GatedRegistry();

  auto cancelled = registry.launch(gatedOptions(dir, "cancelled", 1));
  waitForText(cancelled.outputPath(), "[PROGRESS]");
  cancelled.cancel();
  const auto result = cancelled.wait();
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::Cancelled);
  CHECK(cancelled.status() == Status::Cancelled);
  CHECK(backend->log->calls() == std::vector<std::string>{"stop cancelled"});
  CHECK(readFile(cancelled.outputPath()).find("[ERROR] stopped: cancelled") != std::string::npos);

  auto dropped =
      std::make_unique<bgagent::Task<>>(registry.launch(gatedOptions(dir, "dropped", 2)));
  const std::filesystem::path droppedFile = dropped->outputPath();
  waitForText(droppedFile, "[PROGRESS]");
  dropped.reset();
  CHECK(backend->log->calls() ==
        std::vector<std::string>{"stop cancelled", "stop cancelled", "join"});
  // join() waited for the agent's thread, which wrote its ending first.
  CHECK(readFile(droppedFile).find("[ERROR] stopped: cancelled") != std::string::npos);
}

TEST_CASE("a timeout stops a backend's agent, unless the agent times itself out", "[backend]") {
  TempDir dir;
  NothingLeftBehind check;
  bgagent::AgentRegistry registry;
  auto stopped = std::make_shared<GatedBackend>();
  auto selfTimed = std::make_shared<GatedBackend>(/*timesItselfOut=*/true);
  registry.addBackend("Gated", stopped);
  registry.addBackend("SelfTimed", selfTimed);

  LaunchOptions options = gatedOptions(dir, "overruns", 1);
  options.timeLimit = 50ms;
  auto overruns = registry.launch(options);
  const auto result = overruns.wait();
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::DeadlineExceeded);
  CHECK(overruns.status() == Status::TimedOut);
  CHECK(stopped->log->contains("stop timed out"));
  waitForText(overruns.outputPath(), "[COMPLETE]");
  CHECK(readFile(overruns.outputPath()).find("[ERROR] stopped: timed out") != std::string::npos);

  // The task's watch leaves this one alone: 300 ms after a 1 ms time limit it still runs.
  options = gatedOptions(dir, "times itself out", 2);
  options.agentType = "SelfTimed";
  options.timeLimit = 1ms;
  auto selfTimedTask = registry.launch(options);
  const auto early = selfTimedTask.waitFor(300ms);
  REQUIRE_FALSE(early);
  CHECK(early.error().code == ErrorCode::DeadlineExceeded);
  CHECK(selfTimedTask.status() == Status::Running);
  CHECK(selfTimed->log->calls().empty());
  selfTimed->gate->open();
  CHECK(selfTimedTask.wait());
  CHECK(selfTimedTask.status() == Status::Succeeded);
}

TEST_CASE("a backend that cannot start fails its task, the file saying so once it exists",
          "[backend]") {
  TempDir dir;
  NothingLeftBehind check;
  bgagent::AgentRegistry registry;
  registry.addBackend("Failing", std::make_shared<FailingBackend>());
  LaunchOptions options;
  options.agentType = "Failing";
  options.outputDirectory = dir.path();

  options.description = "refused";
  options.prompt = "refuse";
  auto refused = registry.launch(options);
  const auto refusal = refused.wait();
  REQUIRE_FALSE(refusal);
  CHECK(refusal.error().code == ErrorCode::InvalidArgument);
  CHECK(refusal.error().message == "agent 'refused': refused");
  CHECK(refused.status() == Status::Failed);
  CHECK(std::filesystem::is_empty(dir.path()));  // refused before any file was made

  options.description = "failed";
  options.prompt = "fail";
  auto failed = registry.launch(options);
  const auto failure = failed.wait();
  REQUIRE_FALSE(failure);
  CHECK(failure.error().code == ErrorCode::NotFound);
  CHECK(failure.error().path == failed.outputPath().string());
  const std::string text = readFile(failed.outputPath());
  CHECK(text.find("[ERROR] no such cluster") != std::string::npos);
  CHECK(text.find("[COMPLETE]") != std::string::npos);

  options.description = "threw";
  options.prompt = "throw";
  auto threw = registry.launch(options);
  const auto thrown = threw.wait();
  REQUIRE_FALSE(thrown);
  CHECK(thrown.error().code == ErrorCode::Internal);
  CHECK(thrown.error().message ==
        "agent 'threw': agent type 'Failing': its backend threw: the backend broke");

  options.description = "threw late";
  options.prompt = "throw-after";
  auto threwLate = registry.launch(options);
  const auto thrownLate = threwLate.wait();
  REQUIRE_FALSE(thrownLate);
  CHECK(thrownLate.error().code == ErrorCode::Internal);
  CHECK(readFile(threwLate.outputPath())
            .find("[ERROR] agent type 'Failing': its backend threw: the backend broke late") !=
        std::string::npos);

  options.description = "no agent";
  options.prompt = "null";
  const auto none = registry.launch(options).wait();
  REQUIRE_FALSE(none);
  CHECK(none.error().message ==
        "agent 'no agent': agent type 'Failing': its backend started no agent");

  CHECK_THROWS_AS(registry.addBackend("Null", nullptr), std::invalid_argument);
}

TEST_CASE("a backend's lost ending settles its task with the error it reports", "[backend]") {
  TempDir dir;
  NothingLeftBehind check;
  bgagent::AgentRegistry registry;
  registry.addBackend("Lost", std::make_shared<LostEndingBackend>());
  LaunchOptions options;
  options.description = "lost";
  options.agentType = "Lost";
  options.outputDirectory = dir.path();
  auto task = registry.launch(options);
  const auto result = task.wait();  // settled by the report: the file never gets an ending
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::Io);
  CHECK(result.error().systemError == ENOSPC);
  CHECK(task.status() == Status::Failed);
  CHECK(readFile(task.outputPath()).find("[COMPLETE]") == std::string::npos);
}

TEST_CASE("a detached backend agent runs on and completes its file", "[backend]") {
  TempDir dir;
  NothingLeftBehind check;
  auto [backend, registry] = GatedRegistry();
  LaunchOptions options = gatedOptions(dir, "detached", 7);
  options.cleanup = bgagent::CleanupPolicy::Keep;  // the file is all that is left to read
  auto task = registry.launch(options);
  const std::filesystem::path file = task.outputPath();
  task.detach();
  CHECK_FALSE(task.valid());
  CHECK(backend->log->calls() == std::vector<std::string>{"detach"});
  backend->gate->open();
  CHECK(bgagent::waitForCompletion(file, 20s).succeeded());
  CHECK(readFile(file).find("\"value\": 7") != std::string::npos);
}

TEST_CASE("a runtime's shutdown stops a host's backend's agents and waits for their endings",
          "[backend][runtime]") {
  TempDir dir;
  NothingLeftBehind check;
  bgagent::Runtime runtime;
  auto [backend, registry] = GatedRegistry();
  LaunchOptions options = gatedOptions(dir, "stopped by the shutdown", 1);
  options.runtime = &runtime;
  auto task = registry.launch(options);
  waitForText(task.outputPath(), "[PROGRESS]");
  runtime.shutdown();
  CHECK(backend->log->calls() == std::vector<std::string>{"stop host shutdown"});
  // The shutdown waited for the agent's ending before it settled the task.
  CHECK(readFile(task.outputPath()).find("[ERROR] stopped: host shutdown") != std::string::npos);
  CHECK(task.wait().error().code == ErrorCode::Cancelled);
  CHECK(task.status() == Status::Cancelled);
}
