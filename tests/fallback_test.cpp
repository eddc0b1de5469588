// SPDX-License-Identifier: MIT
// Tests of bgagent/combinators/fallback.hpp: withFallback and failureAsValue; a test per cell of
// their rows in docs/combinators.md, driven by in-process agents released by gates and by real
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

TEST_CASE("withFallback: a success needs no fallback, a failure gets it, with its error",
          "[combinators][fallback]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  int fallbacks = 0;
  auto fine = bgagent::withFallback(immediate(dir, "primary", 1), [&](const bgagent::Error&) {
    ++fallbacks;
    return immediate(dir, "backup", 2);
  });
  CHECK(fine.get() == 1);
  CHECK(fallbacks == 0);
  std::string seen;
  auto degraded =
      bgagent::withFallback(failing(dir, "llm", "rate limited"), [&](const bgagent::Error& error) {
        seen = error.message;
        return immediate(dir, "heuristic", 2);
      });
  CHECK(degraded.get() == 2);
  CHECK(seen.ends_with("threw: rate limited"));
}

TEST_CASE("withFallback: when both fail, the fallback's error keeps the first",
          "[combinators][fallback]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto both = bgagent::withFallback(failing(dir, "primary", "one"), [&](const bgagent::Error&) {
    return failing(dir, "backup", "two");
  });
  const auto result = both.wait();
  REQUIRE_FALSE(result);
  CHECK(result.error().message.ends_with("threw: two"));
  REQUIRE(result.error().related.size() == 1);
  CHECK(result.error().related[0].message.ends_with("threw: one"));
}

TEST_CASE("withFallback: a cancelled task gets no fallback", "[combinators][fallback]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  int fallbacks = 0;
  auto guarded =
      bgagent::withFallback(gated(dir, "held", keptGate(), 1), [&](const bgagent::Error&) {
        ++fallbacks;
        return immediate(dir, "backup", 2);
      });
  guarded.cancel();
  const auto result = guarded.wait();
  REQUIRE_FALSE(result);
  CHECK(guarded.status() == Status::Cancelled);
  CHECK(fallbacks == 0);
}

TEST_CASE("failureAsValue: a value passes through, a failure becomes {success: false}",
          "[combinators][fallback]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  CHECK(bgagent::failureAsValue(immediate(dir, "fine", 3)).get() == 3);
  auto failed = bgagent::failureAsValue(bgagent::sequence<int>({
      {"lint", [&] { return failing(dir, "lint", "style"); }},
  }));
  const nlohmann::json value = failed.get();
  CHECK(failed.status() == Status::Succeeded);
  CHECK(value["success"] == false);
  CHECK(value["code"] == "AgentFailed");
  CHECK(value["stage"] == "lint");
  CHECK(value["error"].get<std::string>().ends_with("threw: style"));
}

TEST_CASE("failureAsValue: cancelling the wrapper still settles Cancelled",
          "[combinators][fallback]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto wrapped = bgagent::failureAsValue(gated(dir, "held", keptGate(), 1));
  wrapped.cancel();
  REQUIRE_FALSE(wrapped.wait());
  CHECK(wrapped.status() == Status::Cancelled);
}

TEST_CASE("withFallback: a fallback that cannot start, and a cancel while the fallback runs",
          "[combinators][fallback]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto unstartable = bgagent::withFallback(
      failing(dir, "primary", "one"),
      [](const bgagent::Error&) -> Task<int> { throw std::runtime_error("no backup configured"); });
  const auto result = unstartable.wait();
  REQUIRE_FALSE(result);
  CHECK(result.error().message ==
        "the fallback did not start: its launch threw: no backup configured");
  REQUIRE(result.error().related.size() == 1);
  CHECK(result.error().related[0].message.ends_with("threw: one"));

  std::promise<void> fallbackStarted;
  auto running =
      bgagent::withFallback(failing(dir, "primary 2", "two"), [&](const bgagent::Error&) {
        Task<int> backup = gated(dir, "backup", keptGate(), 2);
        fallbackStarted.set_value();
        return backup;
      });
  fallbackStarted.get_future().wait();
  running.cancel();
  const auto cancelled = running.wait();
  REQUIRE_FALSE(cancelled);
  CHECK(running.status() == Status::Cancelled);
  CHECK(cancelled.error().message.ends_with("threw: stopped"));  // the backup saw its stop token
}
