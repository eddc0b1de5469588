// Composition: some, sequence, pipeline, withTimeout, retry, withFallback, failureAsValue,
// ResourcePool and runLimited; a test per cell of docs/combinators.md's table, driven by
// in-process agents released by gates and by real processes.
#include <atomic>
#include <bgagent/bgagent.hpp>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/gated_agents.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using bgagent::ErrorCode;
using bgagent::LaunchOptions;
using bgagent::Stage;
using bgagent::Task;
using bgagent::TaskStatus;
using bgagent::test::EveryAgentFinished;
using bgagent::test::gated;
using bgagent::test::keptGate;
using bgagent::test::moveIn;
using bgagent::test::readFile;
using bgagent::test::TempDir;

namespace {

LaunchOptions shell(const TempDir& dir, std::string description, std::string command) {
  LaunchOptions options;
  options.description = std::move(description);
  options.prompt = std::move(command);
  options.outputDirectory = dir.path();
  return options;
}

// An in-process agent that returns `value` at once.
Task<int> immediate(const TempDir& dir, const std::string& name, int value) {
  LaunchOptions options;
  options.description = name;
  options.outputDirectory = dir.path();
  return bgagent::runInThread(options,
                              [value](std::stop_token, bgagent::OutputWriter&) { return value; });
}

// An in-process agent that fails at once with `message`.
Task<int> failing(const TempDir& dir, const std::string& name, std::string message) {
  LaunchOptions options;
  options.description = name;
  options.outputDirectory = dir.path();
  return bgagent::runInThread(options, [message](std::stop_token, bgagent::OutputWriter&) -> int {
    throw std::runtime_error(message);
  });
}

}  // namespace

// ---- some(tasks, n)

TEST_CASE("some: the first n successes, in the order they succeeded; the rest are cancelled",
          "[combinators][some]") {
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
  CHECK(combined.status() == TaskStatus::Succeeded);
  // b was stopped: its agent saw its stop token and its file says so.
  const std::filesystem::path loser = combined.children()[1].outputPath;
  REQUIRE(bgagent::waitForCompletion(loser, 20s).status == bgagent::WaitStatus::Failed);
  CHECK(readFile(loser).find("threw: stopped") != std::string::npos);
}

TEST_CASE("some: fails once n successes can no longer happen, with every failure",
          "[combinators][some]") {
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
  CHECK(combined.status() == TaskStatus::Failed);
  CHECK(result.error().code == ErrorCode::AgentFailed);
  CHECK(result.error().message == "only 0 of 3 tasks succeeded, 2 needed");
  REQUIRE(result.error().related.size() == 2);
  CHECK(result.error().related[0].message.starts_with("agent 'a': "));
  CHECK(result.error().related[1].message.starts_with("agent 'c': "));
}

TEST_CASE("some: an outer cancel cancels every input and settles Cancelled",
          "[combinators][some]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto combined =
      bgagent::some(moveIn(gated(dir, "a", keptGate(), 1), gated(dir, "b", keptGate(), 2),
                           gated(dir, "c", keptGate(), 3)),
                    1);
  combined.cancel();
  const auto result = combined.wait();
  REQUIRE_FALSE(result);
  CHECK(combined.status() == TaskStatus::Cancelled);
  CHECK(result.error().code == ErrorCode::Cancelled);
  CHECK(result.error().related.size() == 3);
}

TEST_CASE("some: n of 0 succeeds at once, more than the inputs fails at once",
          "[combinators][some]") {
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

// ---- sequence(stages)

TEST_CASE("sequence: stages run one after another and give every value in stage order",
          "[combinators][sequence]") {
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
  CHECK(pipeline.status() == TaskStatus::Succeeded);
}

TEST_CASE("sequence: stops at the first failure and names the failed stage",
          "[combinators][sequence]") {
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
  CHECK(pipeline.status() == TaskStatus::Failed);
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
  CHECK(pipeline.status() == TaskStatus::Cancelled);
  CHECK(result.error().code == ErrorCode::Cancelled);
  CHECK(result.error().stage == "deploy");
  CHECK(result.error().message.ends_with("threw: stopped"));  // the agent saw its stop token
  CHECK(launchedAfter == 0);
}

TEST_CASE("sequence: of no stages succeeds at once", "[combinators][sequence]") {
  CHECK(bgagent::sequence<int>({}).waitFor(0ms)->empty());
}

// ---- pipeline(input, stages)

TEST_CASE("pipeline: each stage gets the value before it; the last value is the result",
          "[combinators][pipeline]") {
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

TEST_CASE("pipeline: stops at the failed stage and names it; of no stages gives the input",
          "[combinators][pipeline]") {
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

// ---- withTimeout(task, d)

TEST_CASE("withTimeout: a task that finishes in time gives its value", "[combinators][timeout]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto g0 = keptGate();
  auto timed = bgagent::withTimeout(gated(dir, "quick", g0, 5), 1h);
  g0->open();
  CHECK(timed.get() == 5);
  CHECK(timed.status() == TaskStatus::Succeeded);
}

TEST_CASE("withTimeout: on expiry the process is really stopped and its file says why",
          "[combinators][timeout][process]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto timed = bgagent::withTimeout(bgagent::launch(shell(dir, "slow", "exec sleep 100")), 200ms);
  const std::filesystem::path file = timed.outputPath();
  const auto result = timed.wait();
  REQUIRE_FALSE(result);
  CHECK(timed.status() == TaskStatus::TimedOut);
  CHECK(result.error().code == ErrorCode::DeadlineExceeded);
  CHECK(result.error().message == "'withTimeout(slow)' did not finish within 200ms");
  REQUIRE(result.error().related.size() == 1);
  CHECK(result.error().related[0].code == ErrorCode::DeadlineExceeded);
  CHECK(bgagent::waitForCompletion(file, 20s).status == bgagent::WaitStatus::Failed);
  CHECK(readFile(file).find("timed out (an enclosing deadline passed)") != std::string::npos);
}

TEST_CASE("withTimeout: every child of a combinator inherits the deadline, a shorter own one wins",
          "[combinators][timeout][process]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  LaunchOptions ownDeadline = shell(dir, "own deadline", "exec sleep 100");
  ownDeadline.timeout = 100ms;
  std::vector<Task<>> tasks;
  tasks.push_back(bgagent::launch(shell(dir, "first", "exec sleep 100")));
  tasks.push_back(bgagent::launch(shell(dir, "second", "exec sleep 100")));
  std::vector<std::filesystem::path> files{tasks[0].outputPath(), tasks[1].outputPath()};
  auto own = bgagent::launch(ownDeadline);
  const std::filesystem::path ownFile = own.outputPath();
  auto outer = bgagent::withTimeout(bgagent::allSettled(std::move(tasks)), 300ms);
  auto shorter = bgagent::withTimeout(std::move(own), 1h);
  const auto outcomes = outer.wait();
  REQUIRE_FALSE(outcomes);  // allSettled stopped by its deadline
  CHECK(outer.status() == TaskStatus::TimedOut);
  for (const auto& file : files) {
    REQUIRE(bgagent::waitForCompletion(file, 20s).status == bgagent::WaitStatus::Failed);
    CHECK(readFile(file).find("timed out (an enclosing deadline passed)") != std::string::npos);
  }
  const auto ownResult = shorter.wait();
  REQUIRE_FALSE(ownResult);
  CHECK(shorter.status() == TaskStatus::TimedOut);
  CHECK(readFile(ownFile).find("timed out after 100ms") != std::string::npos);
}

TEST_CASE("withTimeout: an outer cancel stops the task and settles Cancelled",
          "[combinators][timeout]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto timed = bgagent::withTimeout(gated(dir, "held", keptGate(), 1), 1h);
  timed.cancel();
  const auto result = timed.wait();
  REQUIRE_FALSE(result);
  CHECK(timed.status() == TaskStatus::Cancelled);
  CHECK(result.error().code == ErrorCode::Cancelled);
  CHECK(result.error().message.ends_with("threw: stopped"));
}

// ---- retry(launch, options)

TEST_CASE("retry: a later attempt's success is the value; each launch knows its attempt",
          "[combinators][retry]") {
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
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto flaky = bgagent::retry(
      [&](int attempt) { return failing(dir, "try " + std::to_string(attempt), "down"); },
      {.maxAttempts = 3, .backoff = bgagent::Backoff::exponential(1ms, 4ms)});
  const auto result = flaky.wait();
  REQUIRE_FALSE(result);
  CHECK(flaky.status() == TaskStatus::Failed);
  CHECK(result.error().message.starts_with("after 3 attempts: agent 'try 3': "));
  REQUIRE(result.error().related.size() == 2);
  CHECK(result.error().related[0].message.starts_with("agent 'try 1': "));
  CHECK(result.error().related[1].message.starts_with("agent 'try 2': "));
}

TEST_CASE("retry: retryIf can decline, and a cancelled attempt is never retried",
          "[combinators][retry]") {
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
  CHECK(cancelledByOthers.status() == TaskStatus::Cancelled);
}

TEST_CASE("retry: an outer cancel ends a backoff wait at once", "[combinators][retry]") {
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
       .backoff = bgagent::Backoff::fixed(1h),
       // Asked right before the wait begins: the test's signal that the retry is backing off.
       .retryIf = [&](const bgagent::Error&) {
         backingOff.set_value();
         return true;
       }});
  backingOff.get_future().wait();
  patient.cancel();
  const auto result = patient.wait();  // an hour-long wait would hang the test here
  REQUIRE_FALSE(result);
  CHECK(patient.status() == TaskStatus::Cancelled);
  CHECK(result.error().code == ErrorCode::Cancelled);
  CHECK(launches == 1);
  REQUIRE(result.error().related.size() == 1);
  CHECK(result.error().related[0].message.ends_with("threw: unreachable"));
}

TEST_CASE("retry: a per-attempt timeout stops each attempt", "[combinators][retry][process]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto slow = bgagent::retry(
      [&](int attempt) {
        return bgagent::launch(shell(dir, "hang " + std::to_string(attempt), "exec sleep 100"));
      },
      {.maxAttempts = 2, .backoff = bgagent::Backoff::fixed(1ms), .attemptTimeout = 100ms});
  const auto result = slow.wait();
  REQUIRE_FALSE(result);
  CHECK(slow.status() == TaskStatus::TimedOut);
  CHECK(result.error().code == ErrorCode::DeadlineExceeded);
  CHECK(result.error().message.starts_with(
      "after 2 attempts: 'withTimeout(hang 2)' did not finish within 100ms"));
  CHECK(result.error().related.size() == 1);
}

TEST_CASE("retry: backoff is fixed or exponential, capped, and jitter only shortens it",
          "[combinators][retry]") {
  const auto fixed = bgagent::Backoff::fixed(250ms);
  CHECK(fixed.after(1) == 250ms);
  CHECK(fixed.after(5) == 250ms);
  const auto exponential = bgagent::Backoff::exponential(100ms, 1s);
  CHECK(exponential.after(1) == 100ms);
  CHECK(exponential.after(2) == 200ms);
  CHECK(exponential.after(4) == 800ms);
  CHECK(exponential.after(5) == 1s);
  CHECK(exponential.after(50) == 1s);
  bgagent::Backoff jittered = exponential;
  jittered.jitter = 0.5;
  for (int i = 0; i < 100; ++i) {
    const auto wait = jittered.after(2);
    CHECK(wait <= 200ms);
    CHECK(wait >= 100ms);
  }
}

TEST_CASE("retry: fewer than one attempt fails at once", "[combinators][retry]") {
  auto none = bgagent::retry([](int) -> Task<int> { throw std::logic_error("never called"); },
                             {.maxAttempts = 0});
  const auto result = none.waitFor(0ms);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::InvalidArgument);
}

// ---- withFallback(task, fallback) and failureAsValue(task)

TEST_CASE("withFallback: a success needs no fallback; a failure gets it, with its error",
          "[combinators][fallback]") {
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
  CHECK(guarded.status() == TaskStatus::Cancelled);
  CHECK(fallbacks == 0);
}

TEST_CASE("failureAsValue: a value passes through, a failure becomes {success: false}",
          "[combinators][fallback]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  CHECK(bgagent::failureAsValue(immediate(dir, "fine", 3)).get() == 3);
  auto failed = bgagent::failureAsValue(bgagent::sequence<int>({
      {"lint", [&] { return failing(dir, "lint", "style"); }},
  }));
  const nlohmann::json value = failed.get();
  CHECK(failed.status() == TaskStatus::Succeeded);
  CHECK(value["success"] == false);
  CHECK(value["code"] == "AgentFailed");
  CHECK(value["stage"] == "lint");
  CHECK(value["error"].get<std::string>().ends_with("threw: style"));
}

TEST_CASE("failureAsValue: cancelling the wrapper still settles Cancelled",
          "[combinators][fallback]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto wrapped = bgagent::failureAsValue(gated(dir, "held", keptGate(), 1));
  wrapped.cancel();
  REQUIRE_FALSE(wrapped.wait());
  CHECK(wrapped.status() == TaskStatus::Cancelled);
}

// ---- ResourcePool and runLimited

namespace {

// How many agents ran at once at most, from the agents' own records: each appends "+" when it
// starts and "-" before it exits to one shared log (O_APPEND: whole lines).
std::size_t mostAtOnce(const std::filesystem::path& log) {
  std::size_t running = 0;
  std::size_t most = 0;
  std::ifstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    if (line == "+") most = std::max(most, ++running);
    if (line == "-") --running;
  }
  return most;
}

std::string loggedCommand(const std::filesystem::path& log, const std::string& work) {
  return "echo + >> '" + log.string() + "'; " + work + "; status=$?; echo - >> '" + log.string() +
         "'; exit $status";
}

}  // namespace

TEST_CASE("ResourcePool: a pool of 2 shared by two combinators never runs a third",
          "[combinators][pool][process]") {
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
  CHECK(killed.status() == TaskStatus::Crashed);
  CHECK(last.get() == 4);  // every slot came back, or this would wait forever
  CHECK(one.inUse() == 0);
}

TEST_CASE("ResourcePool: a launch cancelled while it waits never starts", "[combinators][pool]") {
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
  CHECK(waiting.status() == TaskStatus::Cancelled);
  gate->open();
  CHECK(holder.get() == 1);
  auto after = one.run([&] { return immediate(dir, "after", 3); });
  CHECK(after.get() == 3);
  CHECK(launched == 0);
}

TEST_CASE("runLimited: a limit of 2 over 100 agents never has a third running",
          "[combinators][limit][process]") {
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

TEST_CASE("runLimited: halting after a failure stops launching; the running ones finish",
          "[combinators][limit]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto gate = keptGate();
  std::atomic<int> launched{0};
  std::vector<std::function<Task<int>()>> launches;
  launches.emplace_back([&] {
    ++launched;
    return gated(dir, "slow", gate, 1);
  });
  launches.emplace_back([&] {
    ++launched;
    return failing(dir, "broken", "no");
  });
  for (int i = 0; i < 3; ++i) {
    launches.emplace_back([&, i] {
      ++launched;
      return immediate(dir, "more " + std::to_string(i), i);
    });
  }
  auto run = bgagent::runLimited(std::move(launches), 2, bgagent::HaltPolicy::afterFailures(1));
  CHECK(run.waitFor(0ms).error().code == ErrorCode::DeadlineExceeded);  // "slow" still runs
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
  CHECK(run.status() == TaskStatus::Succeeded);
  CHECK(bgagent::runLimited(std::vector<std::function<Task<int>()>>{}, 2).waitFor(0ms)->empty());
}

// ---- heterogeneous forms, futures, progress roll-up

TEST_CASE("all and allSettled of different types give a tuple; futures mix with agents",
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
  auto combined = bgagent::all(gated(dir, "held", keptGate(), 1), gated(dir, "fails", g1, 2, true),
                               immediate(dir, "fine", 3));
  g1->open();
  const auto result = combined.wait();
  REQUIRE_FALSE(result);
  CHECK(result.error().message.starts_with("agent 'fails': "));
  REQUIRE(result.error().related.size() == 1);
  CHECK(result.error().related[0].code == ErrorCode::Cancelled);  // "held", cancelled
}

TEST_CASE("any and race take inputs one by one; a cancelled future stops being waited for",
          "[combinators][tuple]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  CHECK(bgagent::any(failing(dir, "a", "no"), immediate(dir, "b", 2)).get() == 2);
  std::promise<int> never;
  auto first = bgagent::race(bgagent::fromFuture(never.get_future()), immediate(dir, "c", 3));
  CHECK(first.get() == 3);
  std::promise<int> unanswered;
  auto waiting = bgagent::fromFuture(unanswered.get_future());
  waiting.cancel();
  const auto result = waiting.wait();  // settles without the promise ever being kept
  REQUIRE_FALSE(result);
  CHECK(waiting.status() == TaskStatus::Cancelled);
  CHECK(result.error().message == "future: stopped waiting (cancelled); its work runs on");
}

TEST_CASE("progress roll-up: a combinator reports k/n settled and each input's progress",
          "[combinators][progress]") {
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
  CHECK(children[1].status == TaskStatus::Succeeded);
  CHECK(children[2].status == TaskStatus::Failed);
  CHECK(children[2].outputPath.parent_path() == dir.path());
}

TEST_CASE("progress roll-up: a sequence reports its stage", "[combinators][progress]") {
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

TEST_CASE("then: the value transformed; an error unchanged; a throwing transform fails",
          "[combinators][then]") {
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
  CHECK(mapped.status() == TaskStatus::Cancelled);
  CHECK(chained.status() == TaskStatus::Cancelled);
  CHECK(tuple.status() == TaskStatus::Cancelled);
}

TEST_CASE("ResourcePool: a launch that throws fails its task and gives the slot back",
          "[combinators][pool]") {
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

TEST_CASE("runLimited: an outer cancel after a halt that only stopped launching stops the rest",
          "[combinators][limit]") {
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

TEST_CASE("retry: an outer cancel during an attempt stops it and retries nothing",
          "[combinators][retry]") {
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
  CHECK(patient.status() == TaskStatus::Cancelled);
  CHECK(result.error().message.ends_with("threw: stopped"));
  CHECK(launches == 1);
}

TEST_CASE("withTimeout: a failure before the deadline is the task's own error",
          "[combinators][timeout]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto timed = bgagent::withTimeout(failing(dir, "quick failure", "bad input"), 1h);
  const auto result = timed.wait();
  REQUIRE_FALSE(result);
  CHECK(timed.status() == TaskStatus::Failed);
  CHECK(result.error().code == ErrorCode::AgentFailed);
  CHECK(result.error().message.ends_with("threw: bad input"));
}

TEST_CASE("withTimeout over a sequence: the running stage is stopped as timed out (C6)",
          "[combinators][timeout][sequence][process]") {
  TempDir dir;
  EveryAgentFinished finished(dir);
  std::filesystem::path stageFile;
  std::atomic<int> laterStages{0};
  auto staged =
      bgagent::withTimeout(bgagent::sequence<nlohmann::json>({
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
  CHECK(staged.status() == TaskStatus::TimedOut);
  REQUIRE(result.error().related.size() == 1);
  CHECK(result.error().related[0].stage == "slow");
  CHECK(result.error().related[0].code == ErrorCode::DeadlineExceeded);
  REQUIRE(bgagent::waitForCompletion(stageFile, 20s).status == bgagent::WaitStatus::Failed);
  CHECK(readFile(stageFile).find("timed out (an enclosing deadline passed)") != std::string::npos);
  CHECK(laterStages == 0);
}

TEST_CASE("withFallback: a fallback that cannot start, and a cancel while the fallback runs",
          "[combinators][fallback]") {
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
  CHECK(running.status() == TaskStatus::Cancelled);
  CHECK(cancelled.error().message.ends_with("threw: stopped"));  // the backup saw its stop token
}
