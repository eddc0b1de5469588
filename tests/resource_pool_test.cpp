// SPDX-License-Identifier: MIT
// Tests of bgagent/combinators/resource_pool.hpp: named pools of slots shared across combinators; a
// test per cell of their rows in docs/combinators.md, driven by in-process agents released by gates
// and by real processes.
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

TEST_CASE("ResourcePool: a pool of 2 shared by two combinators never runs a third",
          "[combinators][pool][process]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  TempDir logs;  // apart from the agents' files, which EveryAgentFinished waits for
  const std::filesystem::path log = logs / "slots.log";
  bgagent::ResourcePool builds("build", 2);
  std::vector<Task<>> first;
  std::vector<Task<>> second;
  for (int i = 0; i < 6; ++i) {
    auto& into = i % 2 == 0 ? first : second;
    into.push_back(builds.run([&dir, &log, i] {
      return bgagent::launch(shell(dir, "build " + std::to_string(i), loggedCommand(log, "true")));
    }));
  }
  auto everything = bgagent::all(std::move(first));
  auto rest = bgagent::allSettled(std::move(second));
  REQUIRE(everything.wait());
  REQUIRE(rest.wait());
  CHECK(mostAtOnce(log) <= 2);
  CHECK(builds.inUse() == 0);
  CHECK(builds.waiting() == 0);
}

TEST_CASE("ResourcePool: the slot is released on failure, cancellation and kill",
          "[combinators][pool][process]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  bgagent::ResourcePool one("llm", 1);
  auto failed = one.run([&] { return failing(dir, "fails", "no"); });
  auto cancelled = one.run([&] { return gated(dir, "cancelled", keptGate(), 1); });
  auto killed = one.run([&] { return bgagent::launch(shell(dir, "killed", "kill -9 $$")); });
  auto last = one.run([&] { return immediate(dir, "last", 4); });
  REQUIRE_FALSE(failed.wait());
  cancelled.cancel();
  REQUIRE_FALSE(cancelled.wait());
  const auto killedResult = killed.wait();
  REQUIRE_FALSE(killedResult);
  CHECK(killed.status() == Status::Crashed);
  CHECK(last.get() == 4);  // every slot came back, or this would wait forever
  CHECK(one.inUse() == 0);
}

TEST_CASE("ResourcePool: a launch cancelled while it waits never starts", "[combinators][pool]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  bgagent::ResourcePool one("deploy", 1);
  auto gate = keptGate();
  auto holder = one.run([&] { return gated(dir, "holder", gate, 1); });
  std::atomic<int> launched{0};
  auto waiting = one.run([&] {
    ++launched;
    return immediate(dir, "waiting", 2);
  });
  CHECK(one.waiting() == 1);
  waiting.cancel();
  const auto result = waiting.wait();  // at once: it needs no slot to be cancelled
  REQUIRE_FALSE(result);
  CHECK(waiting.status() == Status::Cancelled);
  gate->open();
  CHECK(holder.get() == 1);
  auto after = one.run([&] { return immediate(dir, "after", 3); });
  CHECK(after.get() == 3);
  CHECK(launched == 0);
}

TEST_CASE("ResourcePool: a launch that throws fails its task and gives the slot back",
          "[combinators][pool]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  bgagent::ResourcePool one("llm", 1);
  auto thrown = one.run([]() -> Task<int> { throw std::runtime_error("no credentials"); });
  const auto result = thrown.wait();
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::Internal);
  CHECK(result.error().message ==
        "pool 'llm': the launch failed: its launch threw: no credentials");
  CHECK(one.run([&] { return immediate(dir, "next", 5); }).get() == 5);
  CHECK_THROWS_AS(bgagent::fromFuture(std::future<int>{}), std::invalid_argument);
}

TEST_CASE("ResourcePool: a long queue of launches that settle at once costs no stack",
          "[combinators][pool]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  constexpr int kWaiting = 20000;
  bgagent::ResourcePool one("quick", 1);
  auto gate = keptGate();
  auto holder = one.run([&] { return gated(dir, "holder", gate, 0); });
  std::vector<Task<int>> queued;
  queued.reserve(kWaiting);
  for (int i = 0; i < kWaiting; ++i) {
    queued.push_back(one.run([i] {
      std::promise<int> ready;
      ready.set_value(i);
      return bgagent::fromFuture(ready.get_future());
    }));
  }
  CHECK(one.waiting() == kWaiting);
  gate->open();  // the holder's release starts every waiting launch, one after another
  CHECK(holder.get() == 0);
  CHECK(queued.back().get() == kWaiting - 1);
  CHECK(one.inUse() == 0);
}
