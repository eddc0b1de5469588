// SPDX-License-Identifier: MIT
// Tests of bgagent/combinators/run_limited.hpp: runLimited and its halt policies; a test per cell
// of their rows in docs/combinators.md, driven by in-process agents released by gates and by real
// processes.
#include <atomic>
#include <bgagent/bgagent.hpp>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/gated_agents.hpp"
#include "support/nothing_left_behind.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using namespace bgagent;
using namespace bgagent::test;

TEST_CASE("runLimited: a limit of 2 over 100 agents never has a third running",
          "[combinators][limit][process]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  TempDir logs;  // apart from the agents' files, which EveryAgentFinished waits for
  const std::filesystem::path log = logs / "running.log";
  std::vector<std::function<Task<>()>> launches;
  for (int i = 0; i < 100; ++i) {
    launches.emplace_back([&dir, &log, i] {
      return bgagent::launch(shell(dir, "job " + std::to_string(i),
                                   loggedCommand(log, i % 10 == 0 ? "false" : "true")));
    });
  }
  const auto outcomes = bgagent::runLimited(std::move(launches), 2).get();
  REQUIRE(outcomes.size() == 100);
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    CHECK(outcomes[i].has_value() == (i % 10 != 0));  // in launch order, failures included
  }
  CHECK(mostAtOnce(log) <= 2);
}

TEST_CASE("runLimited: halting after a failure stops launching, the running ones finish",
          "[combinators][limit]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto gate = keptGate();
  std::atomic<int> launched{0};
  // "slow" is released once "broken" has failed, as the test means: the halt comes first.
  std::promise<void> brokenSettled;
  std::vector<std::function<Task<int>()>> launches;
  launches.emplace_back([&] {
    ++launched;
    return gated(dir, "slow", gate, 1);
  });
  launches.emplace_back([&] {
    ++launched;
    Task<int> broken = failing(dir, "broken", "no");
    TaskView(broken).whenSettled([&brokenSettled] { brokenSettled.set_value(); });
    return broken;
  });
  for (int i = 0; i < 3; ++i) {
    launches.emplace_back([&, i] {
      ++launched;
      return immediate(dir, "more " + std::to_string(i), i);
    });
  }
  auto run = bgagent::runLimited(std::move(launches), 2, bgagent::HaltPolicy::afterFailures(1));
  CHECK(run.waitFor(0ms).error().code == ErrorCode::DeadlineExceeded);  // "slow" still runs
  REQUIRE(brokenSettled.get_future().wait_for(20s) == std::future_status::ready);
  gate->open();
  const auto outcomes = run.get();
  REQUIRE(outcomes.size() == 5);
  CHECK(outcomes[0].value() == 1);
  CHECK_FALSE(outcomes[1]);
  for (std::size_t i = 2; i < 5; ++i) {
    REQUIRE_FALSE(outcomes[i]);
    CHECK(outcomes[i].error().code == ErrorCode::Cancelled);
    CHECK(outcomes[i].error().message == "not launched: halted after 1 failures");
  }
  CHECK(launched == 2);
}

TEST_CASE("runLimited: halting to kill stops the running ones too", "[combinators][limit]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  std::vector<std::function<Task<int>()>> launches;
  launches.emplace_back([&] { return gated(dir, "held", keptGate(), 1); });
  launches.emplace_back([&] { return failing(dir, "broken", "no"); });
  launches.emplace_back([&] { return immediate(dir, "never", 3); });
  const auto outcomes =
      bgagent::runLimited(std::move(launches), 2,
                          bgagent::HaltPolicy::afterFailures(1, bgagent::HaltAction::KillRunning))
          .get();
  REQUIRE(outcomes.size() == 3);
  REQUIRE_FALSE(outcomes[0]);
  CHECK(outcomes[0].error().code == ErrorCode::Cancelled);
  CHECK(outcomes[0].error().message.ends_with("threw: stopped"));
  CHECK(outcomes[2].error().message == "not launched: halted after 1 failures");
}

TEST_CASE("runLimited: halting after successes, or after a share of failures",
          "[combinators][limit]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  std::vector<std::function<Task<int>()>> enough;
  for (int i = 0; i < 5; ++i) {
    enough.emplace_back([&, i] { return immediate(dir, "ok " + std::to_string(i), i); });
  }
  const auto first =
      bgagent::runLimited(std::move(enough), 1, bgagent::HaltPolicy::afterSuccesses(2)).get();
  CHECK(first[1].value() == 1);
  CHECK(first[2].error().message == "not launched: halted after 2 successes");

  std::vector<std::function<Task<int>()>> flaky;
  for (int i = 0; i < 10; ++i) {
    flaky.emplace_back([&, i] {
      return i % 2 == 0 ? failing(dir, "bad " + std::to_string(i), "no")
                        : immediate(dir, "good " + std::to_string(i), i);
    });
  }
  // 30% of 10 launches: the third failure (launch 4) halts.
  const auto second =
      bgagent::runLimited(std::move(flaky), 1, bgagent::HaltPolicy::afterFailurePercent(30)).get();
  CHECK(second[3].value() == 3);
  CHECK_FALSE(second[4]);
  CHECK(second[5].error().message == "not launched: halted after 3 failures of 10");
}

TEST_CASE("runLimited: an outer cancel stops everything and still gives every outcome",
          "[combinators][limit]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  std::vector<std::function<Task<int>()>> launches;
  for (int i = 0; i < 4; ++i) {
    launches.emplace_back(
        [&, i] { return gated(dir, "held " + std::to_string(i), keptGate(), i); });
  }
  auto run = bgagent::runLimited(std::move(launches), 2);
  run.cancel();
  const auto outcomes = run.get();
  REQUIRE(outcomes.size() == 4);
  for (const auto& outcome : outcomes) {
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().code == ErrorCode::Cancelled);
  }
  CHECK(run.status() == Status::Succeeded);
  CHECK(bgagent::runLimited(std::vector<std::function<Task<int>()>>{}, 2).waitFor(0ms)->empty());
}

TEST_CASE("runLimited: an outer cancel after a halt that only stopped launching stops the rest",
          "[combinators][limit]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  std::vector<std::function<Task<int>()>> launches;
  launches.emplace_back([&] { return gated(dir, "held", keptGate(), 1); });
  launches.emplace_back([&] {
    Task<int> broken = failing(dir, "broken", "no");
    (void)broken.wait();  // settled when launched: runLimited has halted before it returns
    return broken;
  });
  launches.emplace_back([&] { return immediate(dir, "never", 3); });
  auto run = bgagent::runLimited(std::move(launches), 2, bgagent::HaltPolicy::afterFailures(1));
  CHECK(run.snapshot().progress.text == "1/3 settled");
  run.cancel();
  const auto outcomes = run.get();  // "held" is stopped, or this would never settle
  REQUIRE(outcomes.size() == 3);
  REQUIRE_FALSE(outcomes[0]);
  CHECK(outcomes[0].error().code == ErrorCode::Cancelled);
  CHECK(outcomes[0].error().message.ends_with("threw: stopped"));
}

TEST_CASE("runLimited: launches that settle as they are launched cost no stack",
          "[combinators][limit]") {
  NothingLeftBehind check;
  constexpr int kLaunches = 20000;
  std::vector<std::function<Task<int>()>> launches;
  launches.reserve(kLaunches);
  for (int i = 0; i < kLaunches; ++i) {
    launches.emplace_back([i] {
      std::promise<int> ready;
      ready.set_value(i);
      return bgagent::fromFuture(ready.get_future());  // settled before it is returned
    });
  }
  const auto outcomes = bgagent::runLimited(std::move(launches), 2).get();
  REQUIRE(outcomes.size() == kLaunches);
  CHECK(outcomes.back().value() == kLaunches - 1);
}
