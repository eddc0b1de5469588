// SPDX-License-Identifier: MIT
// TaskView: what observers (dashboards, event logs, a host's UI) see of a task: a consistent
// sample, its events from the start without gaps or repeats, when it settles, and cancel().
#include <bgagent/bgagent.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/gated_agents.hpp"
#include "support/nothing_left_behind.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using bgagent::ErrorCode;
using bgagent::Status;
using bgagent::TaskView;
using bgagent::test::EveryAgentFinished;
using bgagent::test::gated;
using bgagent::test::keptGate;
using bgagent::test::NothingLeftBehind;
using bgagent::test::TempDir;

namespace {

// The kinds of event a listener was told, in order.
class EventKinds {
 public:
  TaskView::EventListener listener() {
    return [this](std::string_view kind, const nlohmann::json& fields) {
      {
        std::lock_guard lock(mutex_);
        kinds_.emplace_back(kind);
        CHECK(fields.contains("elapsedMs"));
      }
      changed_.notify_all();
    };
  }
  std::vector<std::string> kinds() const {
    std::lock_guard lock(mutex_);
    return kinds_;
  }
  bool waitFor(const std::string& kind) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(
        lock, 20s, [&] { return std::find(kinds_.begin(), kinds_.end(), kind) != kinds_.end(); });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> kinds_;  // guarded by mutex_
};

}  // namespace

TEST_CASE("a TaskView samples its task and tells its events from the start, each once", "[view]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto gate = keptGate();
  bgagent::Task<int> task = gated(dir, "viewed", gate, 4);
  const TaskView view(task);
  CHECK(view.id() == task.id());
  CHECK(view.description() == "viewed");
  CHECK(view.outputPath() == task.outputPath());

  EventKinds live;
  bgagent::TaskSubscription subscription = view.subscribe(live.listener());
  REQUIRE(live.waitFor("started"));  // the runtime has read the START
  const bgagent::TaskSample running = view.sample();
  CHECK(running.status == Status::Running);
  CHECK(running.silentFor.has_value());

  bool settledSeen = false;
  gate->open();
  REQUIRE(task.wait());
  view.whenSettled([&] { settledSeen = true; });  // settled already: runs now, here
  CHECK(settledSeen);
  REQUIRE(live.waitFor("settled"));
  CHECK(live.kinds() == std::vector<std::string>{"started", "settled"});
  CHECK(view.sample().status == Status::Succeeded);

  // A late subscriber is caught up at once; its agent has ended, so nothing follows "settled".
  EventKinds late;
  bgagent::TaskSubscription caughtUp = view.subscribe(late.listener());
  CHECK(late.kinds() == std::vector<std::string>{"started", "settled"});
}

TEST_CASE("a TaskView cancels its task, an ended subscription hears nothing more", "[view]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  bgagent::Task<int> cancelled = gated(dir, "cancelled", keptGate(), 1);
  EventKinds heard;
  bgagent::TaskSubscription subscription = TaskView(cancelled).subscribe(heard.listener());
  TaskView(cancelled).cancel();
  CHECK(cancelled.wait().error().code == ErrorCode::Cancelled);
  REQUIRE(heard.waitFor("settled"));
  const std::vector<std::string> kinds = heard.kinds();
  CHECK(std::find(kinds.begin(), kinds.end(), "cancelRequested") != kinds.end());

  auto gate = keptGate();
  bgagent::Task<int> quiet = gated(dir, "quiet", gate, 2);
  EventKinds ended;
  bgagent::TaskSubscription shortLived = TaskView(quiet).subscribe(ended.listener());
  shortLived.end();
  const std::size_t before = ended.kinds().size();  // the catch-up, if the task had started
  gate->open();
  REQUIRE(quiet.wait());
  CHECK(ended.kinds().size() == before);

  CHECK_THROWS_AS(TaskView(bgagent::Task<int>()), std::invalid_argument);
}
