// SPDX-License-Identifier: MIT
// Combinators: a test per cell of docs/combinators.md's table, driven by in-process agents
// released by gates (deterministic, no sleeps) and by real processes.
#include <bgagent/agents/agent_registry.hpp>
#include <bgagent/combinators/combinators.hpp>
#include <bgagent/runtime/wait.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "catch.hpp"
#include "support/gated_agents.hpp"
#include "support/nothing_left_behind.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using bgagent::ErrorCode;
using bgagent::LaunchOptions;
using bgagent::Status;
using bgagent::Task;
using bgagent::test::TempDir;

using bgagent::test::EveryAgentFinished;
using bgagent::test::failing;
using bgagent::test::gated;
using bgagent::test::gates;
using bgagent::test::immediate;
using bgagent::test::keptGate;
using bgagent::test::moveIn;
using bgagent::test::NothingLeftBehind;
using bgagent::test::readFile;

TEST_CASE("all: settles with every value in input order once every input succeeded",
          "[combinators][all]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto [g0, g1, g2] = gates();
  auto combined = bgagent::all(
      moveIn(gated(dir, "a", g0, 10), gated(dir, "b", g1, 11), gated(dir, "c", g2, 12)));
  g2->open();
  g1->open();
  CHECK(combined.waitFor(0ms).error().code == ErrorCode::DeadlineExceeded);
  g0->open();
  CHECK(combined.get() == std::vector<int>{10, 11, 12});
  CHECK(combined.status() == Status::Succeeded);
}

TEST_CASE("all: the first failure cancels the others and settles once they have settled",
          "[combinators][all]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto [g0, g1, g2] = gates();
  std::vector<Task<int>> tasks =
      moveIn(gated(dir, "a", g0, 1), gated(dir, "b", g1, 2, true), gated(dir, "c", g2, 3));
  auto combined = bgagent::all(std::move(tasks));
  g1->open();
  const auto result = combined.wait();
  REQUIRE_FALSE(result);
  CHECK(combined.status() == Status::Failed);
  // C1: the failure, not the cancellations it caused.
  CHECK(result.error().code == ErrorCode::AgentFailed);
  CHECK(result.error().message.starts_with("agent 'b': "));
  CHECK(result.error().message.ends_with("agent reported an error: threw: failed on purpose"));
  // C2: the cancelled inputs' errors are all there, in input order.
  REQUIRE(result.error().related.size() == 2);
  CHECK(result.error().related[0].message.starts_with("agent 'a': "));
  CHECK(result.error().related[0].code == ErrorCode::Cancelled);
  CHECK(result.error().related[1].message.starts_with("agent 'c': "));
  CHECK(result.error().related[1].code == ErrorCode::Cancelled);
}

TEST_CASE("all: with cancelOthers off, fails at once and leaves the others running",
          "[combinators][all]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto [g0, g1, g2] = gates();
  auto combined = bgagent::all(
      moveIn(gated(dir, "a", g0, 1), gated(dir, "b", g1, 2, true), gated(dir, "c", g2, 3)),
      bgagent::AllOptions{.cancelOthers = false});
  g1->open();
  const auto result = combined.wait();
  REQUIRE_FALSE(result);
  CHECK(result.error().related.empty());
  g0->open();
  g2->open();
}

TEST_CASE("all: every failure of real processes is reachable, none dropped",
          "[combinators][all][process]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  std::vector<Task<>> tasks;
  for (const char* command : {"exit 1", "exit 2", "exec sleep 100"}) {
    LaunchOptions options;
    options.description = command;
    options.prompt = command;
    options.outputDirectory = dir.path();
    tasks.push_back(bgagent::launch(options));
  }
  const auto result = bgagent::all(std::move(tasks)).wait();
  REQUIRE_FALSE(result);
  std::set<std::string> agents;
  agents.insert(result.error().message.substr(0, result.error().message.find(':')));
  for (const auto& related : result.error().related) {
    agents.insert(related.message.substr(0, related.message.find(':')));
  }
  CHECK(agents ==
        std::set<std::string>{"agent 'exit 1'", "agent 'exit 2'", "agent 'exec sleep 100'"});
  CHECK(result.error().code == ErrorCode::AgentFailed);
}

TEST_CASE("all: an outer cancel cancels every input and settles Cancelled", "[combinators][all]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto [g0, g1, g2] = gates();
  auto combined =
      bgagent::all(moveIn(gated(dir, "a", g0, 1), gated(dir, "b", g1, 2), gated(dir, "c", g2, 3)));
  combined.cancel();
  const auto result = combined.wait();
  REQUIRE_FALSE(result);
  CHECK(combined.status() == Status::Cancelled);
  CHECK(result.error().code == ErrorCode::Cancelled);
  CHECK(result.error().related.size() == 2);
}

TEST_CASE("all: of no tasks succeeds at once with no values", "[combinators][all]") {
  NothingLeftBehind check;
  auto combined = bgagent::all(std::vector<Task<int>>{});
  CHECK(combined.status() == Status::Succeeded);
  CHECK(combined.get().empty());
}

TEST_CASE("allSettled: every outcome in input order, and it never fails",
          "[combinators][allSettled]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto [g0, g1, g2] = gates();
  auto combined = bgagent::allSettled(
      moveIn(gated(dir, "a", g0, 1), gated(dir, "b", g1, 2, true), gated(dir, "c", g2, 3)));
  g1->open();
  g2->open();
  CHECK(combined.waitFor(0ms).error().code == ErrorCode::DeadlineExceeded);  // a still runs
  g0->open();
  const auto outcomes = combined.get();
  REQUIRE(outcomes.size() == 3);
  CHECK(outcomes[0].value() == 1);
  CHECK(outcomes[1].error().code == ErrorCode::AgentFailed);
  CHECK(outcomes[2].value() == 3);
}

TEST_CASE("allSettled: an outer cancel still settles with every outcome",
          "[combinators][allSettled]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto [g0, g1, g2] = gates();
  g0->open();
  auto first = gated(dir, "a", g0, 1);
  REQUIRE(first.wait());
  auto combined =
      bgagent::allSettled(moveIn(std::move(first), gated(dir, "b", g1, 2), gated(dir, "c", g2, 3)));
  combined.cancel();
  const auto outcomes = combined.get();
  CHECK(combined.status() == Status::Succeeded);
  CHECK(outcomes[0].value() == 1);
  CHECK(outcomes[1].error().code == ErrorCode::Cancelled);
  CHECK(outcomes[2].error().code == ErrorCode::Cancelled);
}

TEST_CASE("allSettled: of no tasks succeeds at once", "[combinators][allSettled]") {
  NothingLeftBehind check;
  CHECK(bgagent::allSettled(std::vector<Task<int>>{}).get().empty());
}

TEST_CASE("any: the first success wins and the others are cancelled", "[combinators][any]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto [g0, g1, g2] = gates();
  std::vector<Task<int>> tasks =
      moveIn(gated(dir, "a", g0, 1, true), gated(dir, "b", g1, 2), gated(dir, "c", g2, 3));
  auto combined = bgagent::any(std::move(tasks));
  g0->open();  // a failure does not decide
  CHECK(combined.waitFor(0ms).error().code == ErrorCode::DeadlineExceeded);
  g1->open();
  CHECK(combined.get() == 2);
  CHECK(combined.status() == Status::Succeeded);
}

TEST_CASE("any: fails only when every input failed, with every failure in input order",
          "[combinators][any]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto [g0, g1, g2] = gates();
  auto combined = bgagent::any(moveIn(gated(dir, "a", g0, 1, true), gated(dir, "b", g1, 2, true),
                                      gated(dir, "c", g2, 3, true)));
  g2->open();
  g0->open();
  g1->open();
  const auto result = combined.wait();
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::AgentFailed);
  CHECK(result.error().message == "all 3 tasks failed");
  REQUIRE(result.error().related.size() == 3);
  CHECK(result.error().related[0].message.starts_with("agent 'a': "));
  CHECK(result.error().related[1].message.starts_with("agent 'b': "));
  CHECK(result.error().related[2].message.starts_with("agent 'c': "));
}

TEST_CASE("any: an outer cancel settles Cancelled", "[combinators][any]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto [g0, g1, g2] = gates();
  auto combined =
      bgagent::any(moveIn(gated(dir, "a", g0, 1), gated(dir, "b", g1, 2), gated(dir, "c", g2, 3)));
  combined.cancel();
  const auto result = combined.wait();
  REQUIRE_FALSE(result);
  CHECK(combined.status() == Status::Cancelled);
  CHECK(result.error().code == ErrorCode::Cancelled);
}

TEST_CASE("any: of no tasks fails at once", "[combinators][any]") {
  NothingLeftBehind check;
  const auto result = bgagent::any(std::vector<Task<int>>{}).wait();
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::InvalidArgument);
  CHECK(result.error().message == "any() of no tasks");
}

TEST_CASE("race: the first to settle decides, success or failure, and the rest are cancelled",
          "[combinators][race]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  SECTION("a success") {
    auto [g0, g1, g2] = gates();
    auto combined = bgagent::race(
        moveIn(gated(dir, "a", g0, 1), gated(dir, "b", g1, 2), gated(dir, "c", g2, 3)));
    g2->open();
    CHECK(combined.get() == 3);
  }
  SECTION("a failure") {
    auto [g0, g1, g2] = gates();
    auto combined = bgagent::race(
        moveIn(gated(dir, "a", g0, 1), gated(dir, "b", g1, 2, true), gated(dir, "c", g2, 3)));
    g1->open();
    const auto result = combined.wait();
    REQUIRE_FALSE(result);
    CHECK(combined.status() == Status::Failed);
    CHECK(result.error().message.starts_with("agent 'b': "));
  }
}

TEST_CASE("anyWinner and raceWinner say which input won, and decide as any and race do",
          "[combinators][any][race]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  SECTION("anyWinner: the one success among failures") {
    auto [g0, g1, g2] = gates();
    auto combined = bgagent::anyWinner(moveIn(
        gated(dir, "a", g0, 10, true), gated(dir, "b", g1, 11), gated(dir, "c", g2, 12, true)));
    g0->open();
    g2->open();
    g1->open();
    const auto winner = combined.get();
    CHECK(winner.index == 1);
    CHECK(winner.value == 11);
  }
  SECTION("anyWinner: every input failed") {
    auto [g0, g1, g2] = gates();
    auto combined = bgagent::anyWinner(moveIn(
        gated(dir, "a", g0, 1, true), gated(dir, "b", g1, 2, true), gated(dir, "c", g2, 3, true)));
    g0->open();
    g1->open();
    g2->open();
    const auto result = combined.wait();
    REQUIRE_FALSE(result);
    CHECK(result.error().message == "all 3 tasks failed");
    CHECK(result.error().related.size() == 3);
  }
  SECTION("raceWinner: the first to settle, a success") {
    auto [g0, g1, g2] = gates();
    auto combined = bgagent::raceWinner(
        moveIn(gated(dir, "a", g0, 1), gated(dir, "b", g1, 2), gated(dir, "c", g2, 3)));
    g1->open();
    const auto winner = combined.get();
    CHECK(winner.index == 1);
    CHECK(winner.value == 2);
    CHECK(combined.status() == Status::Succeeded);
  }
  SECTION("raceWinner: the first to settle, a failure, names its agent") {
    auto [g0, g1, g2] = gates();
    auto combined = bgagent::raceWinner(
        moveIn(gated(dir, "a", g0, 1), gated(dir, "b", g1, 2), gated(dir, "c", g2, 3, true)));
    g2->open();
    const auto result = combined.wait();
    REQUIRE_FALSE(result);
    CHECK(combined.status() == Status::Failed);
    CHECK(result.error().message.starts_with("agent 'c': "));
  }
  SECTION("of no tasks") {
    CHECK(bgagent::anyWinner(std::vector<Task<int>>{}).wait().error().message ==
          "anyWinner() of no tasks");
    CHECK(bgagent::raceWinner(std::vector<Task<int>>{}).wait().error().message ==
          "raceWinner() of no tasks");
  }
}

TEST_CASE("race: the losers are really stopped", "[combinators][race][process]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  std::vector<Task<>> tasks;
  for (const char* command : {"echo fast", "exec sleep 100"}) {
    LaunchOptions options;
    options.description = command;
    options.prompt = command;
    options.outputDirectory = dir.path();
    tasks.push_back(bgagent::launch(options));
  }
  const std::filesystem::path slow = tasks[1].outputPath();
  REQUIRE(bgagent::race(std::move(tasks)).wait());
  const auto outcome = bgagent::waitForCompletion(slow, 20s);
  CHECK(outcome.status == bgagent::Status::Failed);
  CHECK(outcome.error->message.ends_with("agent reported an error: cancelled by the host"));
}

TEST_CASE("race: an outer cancel settles Cancelled", "[combinators][race]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto [g0, g1, g2] = gates();
  auto combined =
      bgagent::race(moveIn(gated(dir, "a", g0, 1), gated(dir, "b", g1, 2), gated(dir, "c", g2, 3)));
  combined.cancel();
  CHECK(combined.wait().error().code == ErrorCode::Cancelled);
  CHECK(combined.status() == Status::Cancelled);
}

TEST_CASE("race: of no tasks fails at once", "[combinators][race]") {
  NothingLeftBehind check;
  const auto result = bgagent::race(std::vector<Task<int>>{}).wait();
  REQUIRE_FALSE(result);
  CHECK(result.error().message == "race() of no tasks");
}

TEST_CASE("combinators nest, and a hundred process inputs cost no thread", "[combinators]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  (void)bgagent::Watcher::shared();
  // Earlier tests' agent threads may still be finishing: only growth counts here.
  const std::size_t threadsBefore = bgagent::test::threadCount();
  std::vector<Task<>> groups;
  for (int group = 0; group < 4; ++group) {
    std::vector<Task<>> members;
    for (int i = 0; i < 25; ++i) {
      LaunchOptions options;
      options.description = "member " + std::to_string(group) + "." + std::to_string(i);
      options.prompt = "echo '[RESULT] {\"success\": true, \"n\": " + std::to_string(i) + "}'";
      options.outputDirectory = dir.path();
      members.push_back(bgagent::launch(options));
    }
    groups.push_back(bgagent::race(std::move(members)));
  }
  CHECK(bgagent::test::threadCount() <= threadsBefore + 1);  // + the supervisor, if new here
  const auto winners = bgagent::all(std::move(groups)).get();
  CHECK(winners.size() == 4);
  for (const auto& winner : winners) CHECK(winner.at("success") == true);
}

TEST_CASE("some: the first n successes, in the order they succeeded, the rest are cancelled",
          "[combinators][some]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto g0 = keptGate();
  Task<int> early = immediate(dir, "c", 3);
  REQUIRE(early.wait());  // settled before some() starts: it is recorded first
  auto combined = bgagent::some(
      moveIn(gated(dir, "a", g0, 1), gated(dir, "b", keptGate(), 2), std::move(early)), 2);
  CHECK(combined.waitFor(0ms).error().code == ErrorCode::DeadlineExceeded);
  g0->open();
  CHECK(combined.get() == std::vector<int>{3, 1});
  CHECK(combined.status() == Status::Succeeded);
  // b was stopped: its agent saw its stop token and its file says so.
  const std::filesystem::path loser = combined.children()[1].outputPath;
  REQUIRE(bgagent::waitForCompletion(loser, 20s).status == bgagent::Status::Failed);
  CHECK(readFile(loser).find("threw: stopped") != std::string::npos);
}

TEST_CASE("some: fails once n successes can no longer happen, with every failure",
          "[combinators][some]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto g0 = keptGate();
  auto g1 = keptGate();
  auto g2 = keptGate();
  auto combined = bgagent::some(
      moveIn(gated(dir, "a", g0, 1, true), gated(dir, "b", g1, 2), gated(dir, "c", g2, 3, true)),
      2);
  g0->open();
  CHECK(combined.waitFor(0ms).error().code == ErrorCode::DeadlineExceeded);
  g2->open();  // two failures of three: two successes are out of reach; b is cancelled
  const auto result = combined.wait();
  REQUIRE_FALSE(result);
  CHECK(combined.status() == Status::Failed);
  CHECK(result.error().code == ErrorCode::AgentFailed);
  CHECK(result.error().message == "only 0 of 3 tasks succeeded, 2 needed");
  REQUIRE(result.error().related.size() == 2);
  CHECK(result.error().related[0].message.starts_with("agent 'a': "));
  CHECK(result.error().related[1].message.starts_with("agent 'c': "));
}

TEST_CASE("some: an outer cancel cancels every input and settles Cancelled",
          "[combinators][some]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto combined =
      bgagent::some(moveIn(gated(dir, "a", keptGate(), 1), gated(dir, "b", keptGate(), 2),
                           gated(dir, "c", keptGate(), 3)),
                    1);
  combined.cancel();
  const auto result = combined.wait();
  REQUIRE_FALSE(result);
  CHECK(combined.status() == Status::Cancelled);
  CHECK(result.error().code == ErrorCode::Cancelled);
  CHECK(result.error().related.size() == 3);
}

TEST_CASE("some: n of 0 succeeds at once, more than the inputs fails at once",
          "[combinators][some]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto none = bgagent::some(
      moveIn(immediate(dir, "a", 1), immediate(dir, "b", 2), immediate(dir, "c", 3)), 0);
  CHECK(none.waitFor(0ms)->empty());
  auto tooMany = bgagent::some(
      moveIn(immediate(dir, "d", 1), immediate(dir, "e", 2), immediate(dir, "f", 3)), 4);
  const auto result = tooMany.waitFor(0ms);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::InvalidArgument);
  CHECK(result.error().message == "some(4) of 3 tasks");
}

TEST_CASE("progress roll-up: a combinator reports k/n settled and each input's progress",
          "[combinators][progress]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto g0 = keptGate();
  auto g1 = keptGate();
  LaunchOptions options;
  options.description = "reports";
  options.outputDirectory = dir.path();
  Task<int> reporting =
      bgagent::runInThread(options, [g0](std::stop_token stop, bgagent::OutputWriter& out) {
        (void)out.progress("2/4 halfway");
        if (!g0->waitOrStop(stop)) throw std::runtime_error("stopped");
        return 1;
      });
  auto combined = bgagent::allSettled(
      moveIn(std::move(reporting), gated(dir, "second", g1, 2), gated(dir, "third", g1, 3, true)));
  CHECK(combined.snapshot().progress.text == "0/3 settled");  // every input waits on a gate
  CHECK(combined.snapshot().progress.percent == 0.0);
  g0->open();
  g1->open();
  REQUIRE(combined.wait());
  CHECK(combined.snapshot().progress.text == "3/3 settled");
  CHECK(combined.snapshot().progress.percent == 100.0);
  CHECK(combined.snapshot().progress.updates == 4);  // 0, 1, 2 and 3 settled
  const auto children = combined.children();
  REQUIRE(children.size() == 3);
  CHECK(children[0].description == "reports");
  CHECK(children[0].progress.text == "2/4 halfway");
  CHECK(children[0].progress.percent == 50.0);
  CHECK(children[1].status == Status::Succeeded);
  CHECK(children[2].status == Status::Failed);
  CHECK(children[2].outputPath.parent_path() == dir.path());
}
