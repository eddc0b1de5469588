// SPDX-License-Identifier: MIT
// Tests of bgagent/combinators/time_limit.hpp: withTimeLimit, and deadlines passed on to children;
// a test per cell of their rows in docs/combinators.md, driven by in-process agents released by
// gates and by real processes.
#include <atomic>
#include <bgagent/bgagent.hpp>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/gated_agents.hpp"
#include "support/nothing_left_behind.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using namespace bgagent;
using namespace bgagent::test;

TEST_CASE("withTimeLimit: a task that finishes in time gives its value",
          "[combinators][time_limit]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto g0 = keptGate();
  auto timed = bgagent::withTimeLimit(gated(dir, "quick", g0, 5), 1h);
  g0->open();
  CHECK(timed.get() == 5);
  CHECK(timed.status() == Status::Succeeded);
}

TEST_CASE("withTimeLimit: on expiry the process is really stopped and its file says why",
          "[combinators][time_limit][process]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto timed = bgagent::withTimeLimit(bgagent::launch(shell(dir, "slow", "exec sleep 100")), 200ms);
  const std::filesystem::path file = timed.outputPath();
  const auto result = timed.wait();
  REQUIRE_FALSE(result);
  CHECK(timed.status() == Status::TimedOut);
  CHECK(result.error().code == ErrorCode::DeadlineExceeded);
  CHECK(result.error().message == "'withTimeLimit(slow)' did not finish within 200ms");
  REQUIRE(result.error().related.size() == 1);
  CHECK(result.error().related[0].code == ErrorCode::DeadlineExceeded);
  CHECK(bgagent::waitForCompletion(file, 20s).status == bgagent::Status::Failed);
  CHECK(readFile(file).find("timed out (an enclosing deadline passed)") != std::string::npos);
}

TEST_CASE(
    "withTimeLimit: every child of a combinator inherits the deadline, a shorter own one wins",
    "[combinators][time_limit][process]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  LaunchOptions ownDeadline = shell(dir, "own deadline", "exec sleep 100");
  ownDeadline.timeLimit = 100ms;
  std::vector<Task<>> tasks;
  tasks.push_back(bgagent::launch(shell(dir, "first", "exec sleep 100")));
  tasks.push_back(bgagent::launch(shell(dir, "second", "exec sleep 100")));
  std::vector<std::filesystem::path> files{tasks[0].outputPath(), tasks[1].outputPath()};
  auto own = bgagent::launch(ownDeadline);
  const std::filesystem::path ownFile = own.outputPath();
  auto outer = bgagent::withTimeLimit(bgagent::allSettled(std::move(tasks)), 300ms);
  auto shorter = bgagent::withTimeLimit(std::move(own), 1h);
  const auto outcomes = outer.wait();
  REQUIRE_FALSE(outcomes);  // allSettled stopped by its deadline
  CHECK(outer.status() == Status::TimedOut);
  for (const auto& file : files) {
    REQUIRE(bgagent::waitForCompletion(file, 20s).status == bgagent::Status::Failed);
    CHECK(readFile(file).find("timed out (an enclosing deadline passed)") != std::string::npos);
  }
  const auto ownResult = shorter.wait();
  REQUIRE_FALSE(ownResult);
  CHECK(shorter.status() == Status::TimedOut);
  CHECK(readFile(ownFile).find("timed out after 100ms") != std::string::npos);
}

namespace {

void collectCodes(const Error& error, std::vector<ErrorCode>& codes) {
  codes.push_back(error.code);
  for (const Error& related : error.related) collectCodes(related, codes);
}

}  // namespace

// Reliability issue, item 5: the deadline stops the inputs one by one; an input that settles
// at once when stopped (a future's task) made all() or race() stop the others as cancelled
// before the deadline reached them, and their files said "cancelled by the host". The first
// reason, the deadline, must reach every input, in the range and the tuple forms.
TEST_CASE("withTimeLimit over all or race: every input ends as timed out",
          "[combinators][time_limit][process]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  for (const std::string form : {"all", "race", "all(a, b, c)"}) {
    INFO(form);
    std::promise<nlohmann::json> never;
    std::vector<Task<>> tasks;
    tasks.push_back(bgagent::fromFuture(never.get_future()));  // settles as soon as stopped
    std::vector<std::filesystem::path> files;
    for (int i = 0; i < 2; ++i) {
      tasks.push_back(
          bgagent::launch(shell(dir, "sleeper " + std::to_string(i), "exec sleep 100")));
      files.push_back(tasks.back().outputPath());
    }
    std::optional<Error> error;
    const auto keepError = [&error](const auto& result) {
      if (!result) error = result.error();
    };
    if (form == "all") {
      keepError(bgagent::withTimeLimit(bgagent::all(std::move(tasks)), 50ms).wait());
    } else if (form == "race") {
      keepError(bgagent::withTimeLimit(bgagent::race(std::move(tasks)), 50ms).wait());
    } else {
      keepError(
          bgagent::withTimeLimit(
              bgagent::all(std::move(tasks[0]), std::move(tasks[1]), std::move(tasks[2])), 50ms)
              .wait());
    }
    REQUIRE(error);
    std::vector<ErrorCode> codes;
    collectCodes(*error, codes);
    for (const ErrorCode code : codes) CHECK(code == ErrorCode::DeadlineExceeded);
    for (const auto& file : files) {
      REQUIRE(bgagent::waitForCompletion(file, 20s).status == bgagent::Status::Failed);
      const std::string text = readFile(file);
      CHECK(text.find("timed out (an enclosing deadline passed)") != std::string::npos);
      CHECK(text.find("cancelled by the host") == std::string::npos);
    }
    never.set_value(nullptr);
  }
}

TEST_CASE("withTimeLimit: an outer cancel stops the task and settles Cancelled",
          "[combinators][time_limit]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto timed = bgagent::withTimeLimit(gated(dir, "held", keptGate(), 1), 1h);
  timed.cancel();
  const auto result = timed.wait();
  REQUIRE_FALSE(result);
  CHECK(timed.status() == Status::Cancelled);
  CHECK(result.error().code == ErrorCode::Cancelled);
  CHECK(result.error().message.ends_with("threw: stopped"));
}

TEST_CASE("withTimeLimit: a failure before the deadline is the task's own error",
          "[combinators][time_limit]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto timed = bgagent::withTimeLimit(failing(dir, "quick failure", "bad input"), 1h);
  const auto result = timed.wait();
  REQUIRE_FALSE(result);
  CHECK(timed.status() == Status::Failed);
  CHECK(result.error().code == ErrorCode::AgentFailed);
  CHECK(result.error().message.ends_with("threw: bad input"));
}

TEST_CASE("withTimeLimit over a sequence: the running stage is stopped as timed out (C6)",
          "[combinators][time_limit][sequence][process]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  std::filesystem::path stageFile;
  std::atomic<int> laterStages{0};
  auto staged = bgagent::withTimeLimit(
      bgagent::sequence<nlohmann::json>({
          {"slow",
           [&] {
             auto task = bgagent::launch(shell(dir, "slow", "exec sleep 100"));
             stageFile = task.outputPath();
             return task;
           }},
          {"after",
           [&] {
             ++laterStages;
             return bgagent::launch(shell(dir, "after", "true"));
           }},
      }),
      200ms);
  const auto result = staged.wait();
  REQUIRE_FALSE(result);
  CHECK(staged.status() == Status::TimedOut);
  REQUIRE(result.error().related.size() == 1);
  CHECK(result.error().related[0].stage == "slow");
  CHECK(result.error().related[0].code == ErrorCode::DeadlineExceeded);
  REQUIRE(bgagent::waitForCompletion(stageFile, 20s).status == bgagent::Status::Failed);
  CHECK(readFile(stageFile).find("timed out (an enclosing deadline passed)") != std::string::npos);
  CHECK(laterStages == 0);
}

// The names a time limit had before (kept one release; tests/compile checks they warn) still
// stop the work, and the new name wins where both are set.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
TEST_CASE("the former time-limit names still stop the work, the new names win",
          "[combinators][time_limit][process]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  LaunchOptions former = shell(dir, "former", "exec sleep 100");
  former.timeout = 100ms;
  auto formerTask = bgagent::launch(former);
  CHECK_FALSE(formerTask.wait());
  CHECK(formerTask.status() == Status::TimedOut);
  CHECK(readFile(formerTask.outputPath()).find("[ERROR] timed out after 100ms\n") !=
        std::string::npos);

  // The longer one, so that "the shorter wins" would fail this.
  LaunchOptions both = shell(dir, "both", "exec sleep 100");
  both.timeout = 100ms;
  both.timeLimit = 300ms;
  auto bothTask = bgagent::launch(both);
  CHECK_FALSE(bothTask.wait());
  CHECK(readFile(bothTask.outputPath()).find("[ERROR] timed out after 300ms\n") !=
        std::string::npos);

  auto wrapped =
      bgagent::withTimeout(bgagent::launch(shell(dir, "wrapped", "exec sleep 100")), 100ms);
  const auto wrappedResult = wrapped.wait();
  REQUIRE_FALSE(wrappedResult);
  CHECK(wrappedResult.error().message == "'withTimeLimit(wrapped)' did not finish within 100ms");

  auto retried = bgagent::retry(
      [&](int attempt) {
        return bgagent::launch(shell(dir, "attempt " + std::to_string(attempt), "exec sleep 100"));
      },
      {.maxAttempts = 1, .attemptTimeout = 100ms});
  const auto retriedResult = retried.wait();
  REQUIRE_FALSE(retriedResult);
  CHECK(retriedResult.error().message.ends_with("did not finish within 100ms"));

  auto retriedBoth = bgagent::retry(
      [&](int attempt) {
        return bgagent::launch(shell(dir, "both " + std::to_string(attempt), "exec sleep 100"));
      },
      {.maxAttempts = 1, .attemptTimeLimit = 300ms, .attemptTimeout = 100ms});
  const auto retriedBothResult = retriedBoth.wait();
  REQUIRE_FALSE(retriedBothResult);
  CHECK(retriedBothResult.error().message.ends_with("did not finish within 300ms"));
}
#pragma GCC diagnostic pop
