// SPDX-License-Identifier: MIT
// Tests of bgagent/combinators/retry.hpp: retry with backoff; a test per cell of their rows in
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

TEST_CASE("retry: a later attempt's success is the value, each launch knows its attempt",
          "[combinators][retry]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  std::vector<int> attempts;
  auto flaky = bgagent::retry(
      [&](int attempt) {
        attempts.push_back(attempt);
        return attempt < 3 ? failing(dir, "flaky " + std::to_string(attempt), "flake")
                           : immediate(dir, "flaky 3", 42);
      },
      {.maxAttempts = 5, .backoff = bgagent::Backoff::fixed(1ms)});
  CHECK(flaky.get() == 42);
  CHECK(attempts == std::vector<int>{1, 2, 3});
}

TEST_CASE("retry: the last failure names the attempts and keeps every earlier one",
          "[combinators][retry]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto flaky = bgagent::retry(
      [&](int attempt) { return failing(dir, "try " + std::to_string(attempt), "down"); },
      {.maxAttempts = 3, .backoff = bgagent::Backoff::exponential(1ms, 4ms)});
  const auto result = flaky.wait();
  REQUIRE_FALSE(result);
  CHECK(flaky.status() == Status::Failed);
  CHECK(result.error().message.starts_with("after 3 attempts: agent 'try 3': "));
  REQUIRE(result.error().related.size() == 2);
  CHECK(result.error().related[0].message.starts_with("agent 'try 1': "));
  CHECK(result.error().related[1].message.starts_with("agent 'try 2': "));
}

TEST_CASE("retry: retryIf can decline, and a cancelled attempt is never retried",
          "[combinators][retry]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  int launches = 0;
  auto declined = bgagent::retry(
      [&](int) {
        ++launches;
        return failing(dir, "fatal", "bad config");
      },
      {.maxAttempts = 5,
       .backoff = bgagent::Backoff::fixed(1ms),
       .retryIf = [](const bgagent::Error& error) {
         return error.message.find("bad config") == std::string::npos;
       }});
  const auto result = declined.wait();
  REQUIRE_FALSE(result);
  CHECK(launches == 1);
  CHECK(result.error().message.starts_with("after 1 attempt (retryIf declined): "));

  std::atomic<int> cancelledLaunches{0};
  auto cancelledByOthers = bgagent::retry(
      [&](int) {
        ++cancelledLaunches;
        Task<int> task = gated(dir, "cancelled", keptGate(), 1);
        task.cancel();  // someone else cancels the attempt itself
        return task;
      },
      {.maxAttempts = 5, .backoff = bgagent::Backoff::fixed(1ms)});
  const auto cancelled = cancelledByOthers.wait();
  REQUIRE_FALSE(cancelled);
  CHECK(cancelledLaunches == 1);
  CHECK(cancelled.error().code == ErrorCode::Cancelled);
  CHECK(cancelledByOthers.status() == Status::Cancelled);
}

TEST_CASE("retry: an outer cancel ends a backoff wait at once", "[combinators][retry]") {
  // The longest backoff too: its deadline saturates instead of overflowing (reliability issue,
  // item 4; UBSan fails the asan leg on an overflow).
  const bgagent::SteadyClock::duration wait =
      GENERATE(as<bgagent::SteadyClock::duration>{}, std::chrono::hours(1),
               bgagent::SteadyClock::duration::max());
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  std::atomic<int> launches{0};
  std::promise<void> backingOff;
  auto patient = bgagent::retry(
      [&](int) {
        ++launches;
        return failing(dir, "down", "unreachable");
      },
      {.maxAttempts = 3,
       .backoff = bgagent::Backoff::fixed(wait),
       // Asked right before the wait begins: the test's signal that the retry is backing off.
       .retryIf = [&](const bgagent::Error&) {
         backingOff.set_value();
         return true;
       }});
  backingOff.get_future().wait();
  patient.cancel();
  const auto result = patient.wait();  // an hour-long wait would hang the test here
  REQUIRE_FALSE(result);
  CHECK(patient.status() == Status::Cancelled);
  CHECK(result.error().code == ErrorCode::Cancelled);
  CHECK(launches == 1);
  REQUIRE(result.error().related.size() == 1);
  CHECK(result.error().related[0].message.ends_with("threw: unreachable"));
}

TEST_CASE("retry: a per-attempt time limit stops each attempt", "[combinators][retry][process]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto slow = bgagent::retry(
      [&](int attempt) {
        return bgagent::launch(shell(dir, "hang " + std::to_string(attempt), "exec sleep 100"));
      },
      {.maxAttempts = 2, .backoff = bgagent::Backoff::fixed(1ms), .attemptTimeLimit = 100ms});
  const auto result = slow.wait();
  REQUIRE_FALSE(result);
  CHECK(slow.status() == Status::TimedOut);
  CHECK(result.error().code == ErrorCode::DeadlineExceeded);
  CHECK(result.error().message.starts_with(
      "after 2 attempts: 'withTimeLimit(hang 2)' did not finish within 100ms"));
  CHECK(result.error().related.size() == 1);
}

TEST_CASE("retry: backoff is fixed or exponential, capped, and jitter only shortens it",
          "[combinators][retry]") {
  NothingLeftBehind check;
  const auto fixed = bgagent::Backoff::fixed(250ms);
  CHECK(fixed.after(1) == 250ms);
  CHECK(fixed.after(5) == 250ms);
  const auto exponential = bgagent::Backoff::exponential(100ms, 1s);
  CHECK(exponential.after(1) == 100ms);
  CHECK(exponential.after(2) == 200ms);
  CHECK(exponential.after(4) == 800ms);
  CHECK(exponential.after(5) == 1s);
  CHECK(exponential.after(50) == 1s);
  const auto unbounded =
      bgagent::Backoff::exponential(1s, bgagent::SteadyClock::duration::max(), 1000.0);
  CHECK(unbounded.after(3) == 1000000s);
  CHECK(unbounded.after(10) == bgagent::SteadyClock::duration::max());  // 1e27 s does not fit
  bgagent::Backoff jittered = exponential;
  jittered.jitter = 0.5;
  for (int i = 0; i < 100; ++i) {
    const auto wait = jittered.after(2);
    CHECK(wait <= 200ms);
    CHECK(wait >= 100ms);
  }
}

TEST_CASE("retry: fewer than one attempt fails at once", "[combinators][retry]") {
  NothingLeftBehind check;
  auto none = bgagent::retry([](int) -> Task<int> { throw std::logic_error("never called"); },
                             {.maxAttempts = 0});
  const auto result = none.waitFor(0ms);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::InvalidArgument);
}

TEST_CASE("retry: an outer cancel during an attempt stops it and retries nothing",
          "[combinators][retry]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  std::atomic<int> launches{0};
  auto patient = bgagent::retry(
      [&](int) {
        ++launches;
        return gated(dir, "attempt", keptGate(), 1);
      },
      {.maxAttempts = 3, .backoff = bgagent::Backoff::fixed(1ms)});
  patient.cancel();
  const auto result = patient.wait();
  REQUIRE_FALSE(result);
  CHECK(patient.status() == Status::Cancelled);
  CHECK(result.error().message.ends_with("threw: stopped"));
  CHECK(launches == 1);
}
