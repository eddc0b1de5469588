// SPDX-License-Identifier: MIT
// Tests of bgagent/combinators/then.hpp: then; a test per cell of their rows in
// docs/combinators.md, driven by in-process agents released by gates and by real processes.
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

TEST_CASE("then: the value transformed, an error unchanged, a throwing transform fails",
          "[combinators][then]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  CHECK(bgagent::then(immediate(dir, "two", 2), [](int value) { return value * 21; }).get() == 42);
  const auto failed =
      bgagent::then(failing(dir, "broken", "no"), [](int value) { return value; }).wait();
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message.ends_with("threw: no"));
  const auto thrown = bgagent::then(immediate(dir, "one", 1), [](int) -> int {
                        throw std::runtime_error("bad value");
                      }).wait();
  REQUIRE_FALSE(thrown);
  CHECK(thrown.error().code == ErrorCode::Internal);
  CHECK(thrown.error().message == "'then(one)': the transform threw: bad value");
}

TEST_CASE("then, pipeline and a tuple all: an outer cancel stops the input, settles Cancelled",
          "[combinators][then][pipeline][tuple]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto mapped = bgagent::then(gated(dir, "held", keptGate(), 1), [](int value) { return value; });
  auto chained = bgagent::pipeline<int>(
      0, {{"held", [&](const int&) { return gated(dir, "stage", keptGate(), 1); }}});
  auto tuple = bgagent::all(gated(dir, "first", keptGate(), 1),
                            bgagent::then(gated(dir, "second", keptGate(), 2),
                                          [](int value) { return std::to_string(value); }));
  mapped.cancel();
  chained.cancel();
  tuple.cancel();
  CHECK(mapped.wait().error().code == ErrorCode::Cancelled);
  CHECK(chained.wait().error().code == ErrorCode::Cancelled);
  CHECK(tuple.wait().error().code == ErrorCode::Cancelled);
  CHECK(mapped.status() == Status::Cancelled);
  CHECK(chained.status() == Status::Cancelled);
  CHECK(tuple.status() == Status::Cancelled);
}
