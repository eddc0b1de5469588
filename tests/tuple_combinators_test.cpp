// SPDX-License-Identifier: MIT
// Tests of bgagent/combinators/tuple_combinators.hpp and from_future.hpp: inputs given one by one,
// futures among them; a test per cell of their rows in docs/combinators.md, driven by in-process
// agents released by gates and by real processes.
#include <atomic>
#include <bgagent/bgagent.hpp>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/gated_agents.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using namespace bgagent;
using namespace bgagent::test;

// No NothingLeftBehind here: a std::async thread exits just after its future is ready, so a
// thread count taken at the end of a test could still see it; the leak checks of the other
// combinator tests cover the same inputs' code.

TEST_CASE("all and allSettled of different types give a tuple, futures mix with agents",
          "[combinators][tuple]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto g0 = keptGate();
  auto both = bgagent::all(gated(dir, "number", g0, 7),
                           std::async(std::launch::async, [] { return std::string("text"); }));
  g0->open();
  const auto [number, text] = both.get();
  CHECK(number == 7);
  CHECK(text == "text");
  auto settled = bgagent::allSettled(
      failing(dir, "broken", "no"),
      std::async(std::launch::async, []() -> double { throw std::runtime_error("future failed"); }),
      immediate(dir, "fine", 1));
  const auto outcomes = settled.get();
  CHECK_FALSE(std::get<0>(outcomes));
  REQUIRE_FALSE(std::get<1>(outcomes));
  CHECK(std::get<1>(outcomes).error().message == "future: threw: future failed");
  CHECK(std::get<2>(outcomes).value() == 1);
}

TEST_CASE("all of a tuple fails with the first failure, cancels the rest, keeps every error",
          "[combinators][tuple]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto g1 = keptGate();
  // Settled before the failure, so it is not among the cancelled (arguments are evaluated in
  // no set order: "fine" could otherwise still be running when "fails" fails).
  auto fine = immediate(dir, "fine", 3);
  REQUIRE(fine.wait());
  auto combined = bgagent::all(gated(dir, "held", keptGate(), 1), gated(dir, "fails", g1, 2, true),
                               std::move(fine));
  g1->open();
  const auto result = combined.wait();
  REQUIRE_FALSE(result);
  CHECK(result.error().message.starts_with("agent 'fails': "));
  REQUIRE(result.error().related.size() == 1);
  CHECK(result.error().related[0].code == ErrorCode::Cancelled);  // "held", cancelled
}

TEST_CASE("any and race take inputs one by one, a cancelled future stops being waited for",
          "[combinators][tuple]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  CHECK(bgagent::any(failing(dir, "a", "no"), immediate(dir, "b", 2)).get() == 2);
  const auto anyWinner = bgagent::anyWinner(failing(dir, "d", "no"), immediate(dir, "e", 5)).get();
  CHECK(anyWinner.index == 1);
  CHECK(anyWinner.value == 5);
  std::promise<int> unkept;
  const auto raceWinner =
      bgagent::raceWinner(bgagent::fromFuture(unkept.get_future()), immediate(dir, "f", 6)).get();
  CHECK(raceWinner.index == 1);
  CHECK(raceWinner.value == 6);
  std::promise<int> never;
  auto first = bgagent::race(bgagent::fromFuture(never.get_future()), immediate(dir, "c", 3));
  CHECK(first.get() == 3);
  std::promise<int> unanswered;
  auto waiting = bgagent::fromFuture(unanswered.get_future());
  waiting.cancel();
  const auto result = waiting.wait();  // settles without the promise ever being kept
  REQUIRE_FALSE(result);
  CHECK(waiting.status() == Status::Cancelled);
  CHECK(result.error().message == "future: stopped waiting (cancelled); its work runs on");
}

TEST_CASE("combinators nest across kinds: all(sequence(a, b), any(c, d))",
          "[combinators][tuple][sequence]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  std::vector<Task<int>> alternatives;
  alternatives.push_back(failing(dir, "c", "down"));
  alternatives.push_back(immediate(dir, "d", 4));
  auto nested = bgagent::all(bgagent::sequence<int>({
                                 {"a", [&] { return immediate(dir, "a", 1); }},
                                 {"b", [&] { return immediate(dir, "b", 2); }},
                             }),
                             bgagent::any(std::move(alternatives)));
  const auto [stages, fastest] = nested.get();
  CHECK(stages == std::vector<int>{1, 2});
  CHECK(fastest == 4);
  CHECK(nested.children().size() == 2);
  CHECK(nested.snapshot().progress.text == "2/2 settled");
}

TEST_CASE("fromFuture refuses a deferred future, which would never settle",
          "[combinators][tuple]") {
  CHECK_THROWS_AS(bgagent::fromFuture(std::async(std::launch::deferred, [] { return 1; })),
                  std::invalid_argument);
}
