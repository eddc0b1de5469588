// SPDX-License-Identifier: MIT
// Tests of bgagent/combinators/sequence.hpp: sequence and pipeline; a test per cell of their rows
// in docs/combinators.md, driven by in-process agents released by gates and by real processes.
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

TEST_CASE("sequence: stages run one after another and give every value in stage order",
          "[combinators][sequence]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto g0 = keptGate();
  std::atomic<int> launched{0};
  auto pipeline = bgagent::sequence<int>({
      {"build",
       [&] {
         ++launched;
         return gated(dir, "build", g0, 1);
       }},
      {"test",
       [&] {
         ++launched;
         return immediate(dir, "test", 2);
       }},
      {"package",
       [&] {
         ++launched;
         return immediate(dir, "package", 3);
       }},
  });
  CHECK(launched == 1);  // the next stage waits for the one before
  CHECK(pipeline.waitFor(0ms).error().code == ErrorCode::DeadlineExceeded);
  g0->open();
  CHECK(pipeline.get() == std::vector<int>{1, 2, 3});
  CHECK(launched == 3);
  CHECK(pipeline.status() == Status::Succeeded);
}

TEST_CASE("sequence: stops at the first failure and names the failed stage",
          "[combinators][sequence]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  std::atomic<int> launchedAfter{0};
  auto pipeline = bgagent::sequence<int>({
      {"unit", [&] { return immediate(dir, "unit", 1); }},
      {"integration", [&] { return failing(dir, "integration", "2 tests failed"); }},
      {"e2e",
       [&] {
         ++launchedAfter;
         return immediate(dir, "e2e", 3);
       }},
  });
  const auto result = pipeline.wait();
  REQUIRE_FALSE(result);
  CHECK(pipeline.status() == Status::Failed);
  CHECK(result.error().stage == "integration");
  CHECK(
      result.error().message.starts_with("stage 'integration' (2 of 3) failed: agent "
                                         "'integration': "));
  CHECK(result.error().message.ends_with("threw: 2 tests failed"));
  CHECK(result.error().code == ErrorCode::AgentFailed);
  CHECK(launchedAfter == 0);
}

TEST_CASE("sequence: a stage whose launch throws fails the sequence at that stage",
          "[combinators][sequence]") {
  NothingLeftBehind check;
  auto pipeline = bgagent::sequence<int>({
      {"configure", []() -> Task<int> { throw std::runtime_error("no compiler"); }},
  });
  const auto result = pipeline.wait();
  REQUIRE_FALSE(result);
  CHECK(result.error().stage == "configure");
  CHECK(result.error().code == ErrorCode::Internal);
  CHECK(result.error().message ==
        "stage 'configure' (1 of 1) failed: its launch threw: no compiler");
}

TEST_CASE("sequence: an outer cancel stops the running stage and starts no other",
          "[combinators][sequence]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  std::atomic<int> launchedAfter{0};
  auto pipeline = bgagent::sequence<int>({
      {"deploy", [&] { return gated(dir, "deploy", keptGate(), 1); }},
      {"smoke",
       [&] {
         ++launchedAfter;
         return immediate(dir, "smoke", 2);
       }},
  });
  pipeline.cancel();
  const auto result = pipeline.wait();
  REQUIRE_FALSE(result);
  CHECK(pipeline.status() == Status::Cancelled);
  CHECK(result.error().code == ErrorCode::Cancelled);
  CHECK(result.error().stage == "deploy");
  CHECK(result.error().message.ends_with("threw: stopped"));  // the agent saw its stop token
  CHECK(launchedAfter == 0);
}

TEST_CASE("sequence: of no stages succeeds at once", "[combinators][sequence]") {
  NothingLeftBehind check;
  CHECK(bgagent::sequence<int>({}).waitFor(0ms)->empty());
}

TEST_CASE("sequence: the stages' type is deduced from the braces", "[combinators][sequence]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  // Stage{name, launch} takes the type of the Task its launch returns.
  auto typed = bgagent::sequence({
      Stage{"unit", [&] { return immediate(dir, "unit", 1); }},
      Stage{"e2e", [&] { return immediate(dir, "e2e", 2); }},
  });
  static_assert(std::is_same_v<decltype(typed), Task<std::vector<int>>>);
  CHECK(typed.get() == std::vector<int>{1, 2});
  // Plain braces: JSON stages, as launch() gives.
  auto untyped = bgagent::sequence({
      {"count",
       [&] { return bgagent::launch(shell(dir, "count", R"(echo '[RESULT] {"n": 3}')")); }},
  });
  static_assert(std::is_same_v<decltype(untyped), Task<std::vector<nlohmann::json>>>);
  const auto values = untyped.get();
  REQUIRE(values.size() == 1);
  CHECK(values[0]["n"] == 3);
}

TEST_CASE("sequence: a parallel group is a stage as it is, its values the stage's array",
          "[combinators][sequence]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  const auto checks = [&](const std::string& unitCommand) {
    return [&dir, unitCommand] {
      std::vector<Task<>> group;
      group.push_back(bgagent::launch(shell(dir, "lint", R"(echo '[RESULT] {"lint": "clean"}')")));
      group.push_back(bgagent::launch(shell(dir, "unit", unitCommand)));
      return bgagent::all(std::move(group));
    };
  };
  std::atomic<int> deployed{0};
  const auto deploy = [&] {
    ++deployed;
    return bgagent::launch(shell(dir, "deploy", "true"));
  };

  auto passing = bgagent::sequence({
      {"checks", checks(R"(echo '[RESULT] {"passed": 12}')")},
      {"deploy", deploy},
  });
  const auto values = passing.get();
  REQUIRE(values.size() == 2);
  CHECK(values[0] == nlohmann::json::parse(R"([{"lint": "clean"}, {"passed": 12}])"));
  CHECK(deployed == 1);

  auto failingGroup = bgagent::sequence({
      {"checks", checks("echo '2 tests failed'; exit 3")},
      {"deploy", deploy},
  });
  const auto failed = failingGroup.wait();
  REQUIRE_FALSE(failed);
  CHECK(failed.error().stage == "checks");
  CHECK(failed.error().code == ErrorCode::AgentFailed);
  CHECK(failed.error().message.starts_with("stage 'checks' (1 of 2) failed: "));
  CHECK(failed.error().message.find("2 tests failed") != std::string::npos);
  CHECK(deployed == 1);  // the stage after the failed group never started
}

TEST_CASE("pipeline: each stage gets the value before it, the last value is the result",
          "[combinators][pipeline]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  std::vector<int> seen;
  auto chained = bgagent::pipeline<int>(1, {
                                               {"double",
                                                [&](const int& in) {
                                                  seen.push_back(in);
                                                  return immediate(dir, "x2", in * 2);
                                                }},
                                               {"add ten",
                                                [&](const int& in) {
                                                  seen.push_back(in);
                                                  return immediate(dir, "+10", in + 10);
                                                }},
                                           });
  CHECK(chained.get() == 12);
  CHECK(seen == std::vector<int>{1, 2});
}

TEST_CASE("pipeline: stops at the failed stage and names it, of no stages gives the input",
          "[combinators][pipeline]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto chained = bgagent::pipeline<int>(
      1, {
             {"fetch", [&](const int&) { return failing(dir, "fetch", "offline"); }},
             {"parse", [&](const int& in) { return immediate(dir, "parse", in); }},
         });
  const auto result = chained.wait();
  REQUIRE_FALSE(result);
  CHECK(result.error().stage == "fetch");
  CHECK(bgagent::pipeline<int>(7, {}).waitFor(0ms).value() == 7);
}

TEST_CASE("progress roll-up: a sequence reports its stage", "[combinators][progress]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto g0 = keptGate();
  auto staged = bgagent::sequence<int>({
      {"build", [&] { return gated(dir, "build", g0, 1); }},
      {"test", [&] { return immediate(dir, "test", 2); }},
  });
  CHECK(staged.snapshot().progress.text == "stage 1 of 2: build");
  g0->open();
  REQUIRE(staged.wait());
  CHECK(staged.snapshot().progress.text == "2/2 stages passed");
  CHECK(staged.snapshot().progress.percent == 100.0);
}
