// SPDX-License-Identifier: MIT
// Tests of bgagent/monitor/event_log.hpp: each event (started, progress, attempt, cancelRequested,
// killed, settled) with its fields and in causal order, late tasks caught up, the file's lines,
// and a log that cannot write.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <bgagent/bgagent.hpp>
#include <bgagent/monitor/event_log.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "support/gated_agents.hpp"
#include "support/nothing_left_behind.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using namespace bgagent;
using namespace bgagent::test;
using nlohmann::json;

namespace {

// The lines a sink-backed EventLog hands over, parsed; a test waits for the one it needs.
class CollectedEvents {
 public:
  std::function<void(std::string_view)> sink() {
    return [this](std::string_view line) {
      {
        std::lock_guard lock(mutex_);
        events_.push_back(json::parse(line));
      }
      arrived_.notify_all();
    };
  }

  /// Waits until `task` has logged an event of `kind`.
  bool waitFor(std::uint64_t task, const std::string& kind) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, 20s, [&] {
      for (const json& event : events_) {
        if (event["task"] == task && event["event"] == kind) return true;
      }
      return false;
    });
  }

  std::vector<json> of(std::uint64_t task) const {
    std::lock_guard lock(mutex_);
    std::vector<json> found;
    for (const json& event : events_) {
      if (event["task"] == task) found.push_back(event);
    }
    return found;
  }

  std::vector<std::string> kindsOf(std::uint64_t task) const {
    std::vector<std::string> kinds;
    for (const json& event : of(task)) kinds.push_back(event["event"]);
    return kinds;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<json> events_;  // guarded by mutex_
};

// An in-process agent that reports "1/2 fetched", waits for its gate, reports "2/2 built" and
// returns 7.
Task<int> twoSteps(const TempDir& dir, const std::string& name, std::shared_ptr<Gate> gate) {
  LaunchOptions options;
  options.description = name;
  options.outputDirectory = dir.path();
  return runInThread(options, [gate](std::stop_token stop, OutputWriter& writer) {
    (void)writer.progress("1/2 fetched");
    if (!gate->waitOrStop(stop)) throw std::runtime_error("stopped");
    (void)writer.progress("2/2 built");
    return 7;
  });
}

}  // namespace

TEST_CASE("an agent's life is logged in order: started, each progress, settled", "[event_log]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  CollectedEvents collected;
  EventLog log(collected.sink());
  const auto gate = keptGate();
  Task<int> task = twoSteps(dir, "build", gate);
  log.add("build", task);
  // The agent waits at its gate until the first progress is logged: the two cannot merge.
  REQUIRE(collected.waitFor(task.id(), "progress"));
  gate->open();
  REQUIRE(task.wait().value() == 7);
  task.cancel();  // settled already: no cancelRequested
  log.flush();

  const std::vector<json> events = collected.of(task.id());
  REQUIRE(collected.kindsOf(task.id()) ==
          std::vector<std::string>{"started", "progress", "progress", "settled"});
  for (const json& event : events) {
    CHECK(event["name"] == "build");
    CHECK(detail::parseTimestamp(event["time"].get<std::string>()).has_value());
    CHECK(event["elapsedMs"].get<std::int64_t>() >= 0);
  }
  CHECK(events[0]["outputFile"] == task.outputPath().string());
  CHECK(events[0]["description"] == "build");
  CHECK(events[1]["text"] == "1/2 fetched");
  CHECK(events[1]["percent"] == 50.0);
  CHECK(events[2]["text"] == "2/2 built");
  CHECK(events[3]["status"] == "Succeeded");
  CHECK(events[3]["outputFile"] == task.outputPath().string());
  CHECK_FALSE(events[3].contains("error"));
  CHECK(events[3]["elapsedMs"] >= events[1]["elapsedMs"]);
}

TEST_CASE(
    "a cancelled agent that ignores SIGTERM logs the request once, both kills, and "
    "Cancelled",
    "[event_log]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  CollectedEvents collected;
  EventLog log(collected.sink());
  LaunchOptions options = shell(dir, "stubborn", "trap '' TERM; echo '[PROGRESS] ready'; sleep 30");
  options.gracePeriod = 100ms;
  Task<> task = launch(options);
  log.add("stubborn", task);
  REQUIRE(collected.waitFor(task.id(), "progress"));  // the trap is set
  task.cancel();
  task.cancel();  // the first request is the one logged
  REQUIRE(task.wait().error().code == ErrorCode::Cancelled);
  log.flush();

  const std::vector<json> events = collected.of(task.id());
  REQUIRE(collected.kindsOf(task.id()) == std::vector<std::string>{"started", "progress",
                                                                   "cancelRequested", "killed",
                                                                   "killed", "settled"});
  CHECK(events[2]["reason"] == "cancelled");
  CHECK(events[3]["signal"] == "SIGTERM");
  CHECK(events[3]["reason"] == "cancelled");
  CHECK(events[3]["pid"].get<int>() > 0);
  CHECK(events[4]["signal"] == "SIGKILL");  // after the grace period
  CHECK(events[4]["pid"] == events[3]["pid"]);
  CHECK(events[5]["status"] == "Cancelled");
  CHECK(events[5]["error"]["code"] == "Cancelled");
}

// A grace period too long to represent saturates at the clock's end, which the supervisor once
// also read as "SIGKILL sent": the runtime's shutdown neither cut that grace nor sent (or
// logged) the SIGKILL itself.
TEST_CASE("an agent with the longest grace period is still killed, and logged so, at shutdown",
          "[event_log][shutdown]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  CollectedEvents collected;
  EventLog log(collected.sink());
  bgagent::Runtime runtime({.shutdownGrace = 100ms});
  LaunchOptions options = shell(dir, "stubborn", "trap '' TERM; echo '[PROGRESS] ready'; sleep 30");
  options.gracePeriod = bgagent::SteadyClock::duration::max();
  options.runtime = &runtime;
  Task<> task = launch(options);
  log.add("stubborn", task);
  REQUIRE(collected.waitFor(task.id(), "progress"));  // the trap is set
  runtime.shutdown();
  REQUIRE(task.wait().error().code == ErrorCode::Cancelled);
  log.flush();
  const std::vector<json> events = collected.of(task.id());
  std::vector<std::string> signals;
  for (const json& event : events) {
    if (event["event"] == "killed") signals.push_back(event["signal"].get<std::string>());
  }
  CHECK(signals == std::vector<std::string>{"SIGTERM", "SIGKILL"});
  CHECK(task.snapshot().result.at("signal") == SIGKILL);
}

TEST_CASE("an agent past its timeout is logged killed for that reason, then TimedOut",
          "[event_log]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  CollectedEvents collected;
  EventLog log(collected.sink());
  LaunchOptions options = shell(dir, "slow", "sleep 30");
  options.timeLimit = 100ms;
  Task<> task = launch(options);
  log.add("slow", task);
  REQUIRE(task.wait().error().code == ErrorCode::DeadlineExceeded);
  log.flush();

  const std::vector<std::string> kinds = collected.kindsOf(task.id());
  // The supervisor's own deadline: a kill, not a host's request. (It may come before the
  // watcher has read the START: that order is not fixed.)
  CHECK(std::count(kinds.begin(), kinds.end(), "started") == 1);
  CHECK(std::count(kinds.begin(), kinds.end(), "cancelRequested") == 0);
  const std::vector<json> events = collected.of(task.id());
  const auto killed = std::find_if(events.begin(), events.end(),
                                   [](const json& event) { return event["event"] == "killed"; });
  REQUIRE(killed != events.end());
  CHECK((*killed)["signal"] == "SIGTERM");
  CHECK((*killed)["reason"] == "timed out");
  REQUIRE(kinds.back() == "settled");
  CHECK(events.back()["status"] == "TimedOut");
  CHECK(events.back()["error"]["code"] == "DeadlineExceeded");
}

TEST_CASE("a deadline from withTimeLimit is logged on the inner task as a timed-out request",
          "[event_log]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  EveryAgentFinished finished(dir);
  CollectedEvents collected;
  EventLog log(collected.sink());
  Task<int> inner = gated(dir, "inner", keptGate(), 1);
  const std::uint64_t innerId = inner.id();
  log.add("inner", inner);
  Task<int> bounded = withTimeLimit(std::move(inner), 50ms);
  log.add("bounded", bounded);
  REQUIRE(bounded.wait().error().code == ErrorCode::DeadlineExceeded);
  REQUIRE(collected.waitFor(innerId, "settled"));
  log.flush();

  const std::vector<json> events = collected.of(innerId);
  const auto request = std::find_if(events.begin(), events.end(), [](const json& event) {
    return event["event"] == "cancelRequested";
  });
  REQUIRE(request != events.end());
  CHECK((*request)["reason"] == "timed out");
  CHECK(events.back()["status"] == "TimedOut");
  // The combined task was running when added: caught up with its start, then settled.
  CHECK(collected.kindsOf(bounded.id()).front() == "started");
  CHECK(collected.of(bounded.id()).back()["status"] == "TimedOut");
}

TEST_CASE("a retry logs each attempt with its agent and the error before it", "[event_log]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  CollectedEvents collected;
  EventLog log(collected.sink());
  std::vector<std::uint64_t> attemptIds;
  Task<int> retried = retry(
      [&](int attempt) {
        Task<int> task = attempt < 3 ? failing(dir, "fetch", "flaky " + std::to_string(attempt))
                                     : immediate(dir, "fetch", 42);
        attemptIds.push_back(task.id());
        return task;
      },
      RetryOptions{.maxAttempts = 3, .backoff = Backoff::fixed(1ms)});
  // The first attempt was launched inside retry(): the log catches up with it.
  log.add("fetch with retry", retried);
  REQUIRE(retried.wait().value() == 42);
  log.flush();

  const std::vector<json> events = collected.of(retried.id());
  std::vector<json> attempts;
  for (const json& event : events) {
    if (event["event"] == "attempt") attempts.push_back(event);
  }
  REQUIRE(attempts.size() == 3);
  REQUIRE(attemptIds.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(attempts[i]["attempt"] == i + 1);
    CHECK(attempts[i]["maxAttempts"] == 3);
    CHECK(attempts[i]["attemptTask"] == attemptIds[i]);
  }
  CHECK_FALSE(attempts[0].contains("previousError"));
  CHECK_THAT(attempts[1]["previousError"].get<std::string>(), Catch::Contains("flaky 1"));
  CHECK_THAT(attempts[2]["previousError"].get<std::string>(), Catch::Contains("flaky 2"));
  CHECK(events.front()["event"] == "started");
  CHECK(events.back()["event"] == "settled");
  CHECK(events.back()["status"] == "Succeeded");
}

TEST_CASE("a task added after it settled is caught up, a launch failure never started",
          "[event_log]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  CollectedEvents collected;
  EventLog log(collected.sink());
  const auto gate = keptGate();
  gate->open();
  Task<int> done = twoSteps(dir, "done", gate);
  REQUIRE(done.wait().value() == 7);
  log.add("done", done);
  log.flush();
  REQUIRE(collected.kindsOf(done.id()) ==
          std::vector<std::string>{"started", "progress", "settled"});
  CHECK(collected.of(done.id())[1]["text"] == "2/2 built");  // the latest progress

  LaunchOptions options = shell(dir, "missing", "");
  options.agentType = "Process";
  options.arguments = {(dir / "no-such-program").string()};
  Task<> missing = launch(options);
  REQUIRE(missing.wait().error().code == ErrorCode::NotFound);
  log.add("missing", missing);
  log.flush();
  REQUIRE(collected.kindsOf(missing.id()) == std::vector<std::string>{"settled"});
  CHECK(collected.of(missing.id())[0]["status"] == "Failed");
  CHECK(collected.of(missing.id())[0]["error"]["code"] == "NotFound");
}

TEST_CASE("the log file gets whole JSON lines, appended after what it held", "[event_log]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  const std::filesystem::path path = dir / "jobs.jsonl";
  writeFile(path, "{\"earlier\": true}\n");
  std::vector<std::uint64_t> ids;
  {
    EventLog log(path);
    for (const char* name : {"one", "two", "three"}) {
      Task<int> task = immediate(dir, name, 1);
      log.add(name, task);
      REQUIRE(task.wait());
      log.flush();
      ids.push_back(task.id());
    }
    REQUIRE_FALSE(log.error());
  }
  std::ifstream lines(path);
  std::string line;
  REQUIRE(std::getline(lines, line));
  CHECK(line == "{\"earlier\": true}");
  std::map<std::uint64_t, std::vector<std::string>> kinds;
  while (std::getline(lines, line)) {
    const json event = json::parse(line);  // throws on a cut or merged line
    kinds[event["task"].get<std::uint64_t>()].push_back(event["event"]);
    // The documented leading members, in order, each once.
    std::vector<std::string> keys;  // the line's own order, repeats kept
    const json members = json::parse(line, [&](int depth, json::parse_event_t kind, json& value) {
      if (depth == 1 && kind == json::parse_event_t::key) keys.push_back(value.get<std::string>());
      return true;
    });
    CHECK(members.size() == keys.size());  // a repeated key would have merged
    REQUIRE(keys.size() > 4);
    CHECK(std::vector(keys.begin(), keys.begin() + 4) ==
          std::vector<std::string>{"time", "task", "name", "event"});
    CHECK(std::set(keys.begin(), keys.end()).size() == keys.size());
  }
  for (const std::uint64_t id : ids) {
    REQUIRE(kinds[id].size() >= 2);
    CHECK(kinds[id].front() == "started");
    CHECK(kinds[id].back() == "settled");
  }

  const std::filesystem::path fresh = dir / "fresh.jsonl";
  { EventLog created(fresh); }
  struct stat status {};
  REQUIRE(::stat(fresh.c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0600);
}

TEST_CASE("a name with quotes, line breaks, control bytes or invalid UTF-8 stays one JSON line",
          "[event_log]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  const std::filesystem::path path = dir / "names.jsonl";
  const std::string quoted = "say \"hi\" \\ then\nnext\tline \x01 end";
  const std::string invalid = "bad \xff byte";
  std::uint64_t quotedId = 0;
  std::uint64_t invalidId = 0;
  {
    EventLog log(path);
    Task<int> first = immediate(dir, "first", 1);
    log.add(quoted, first);
    REQUIRE(first.wait());
    Task<int> second = immediate(dir, "second", 2);
    log.add(invalid, second);
    REQUIRE(second.wait());
    log.flush();
    REQUIRE_FALSE(log.error());
    quotedId = first.id();
    invalidId = second.id();
  }
  std::ifstream lines(path);
  std::string line;
  std::map<std::uint64_t, std::set<std::string>> names;
  int count = 0;
  while (std::getline(lines, line)) {
    const json event = json::parse(line);  // a raw line break in a name would cut the line
    names[event["task"].get<std::uint64_t>()].insert(event["name"].get<std::string>());
    ++count;
  }
  CHECK(count >= 4);  // started and settled of each
  CHECK(names[quotedId] == std::set<std::string>{quoted});
  CHECK(names[invalidId] == std::set<std::string>{"bad \xEF\xBF\xBD byte"});  // U+FFFD
}

TEST_CASE("a log that cannot be opened throws, naming the file", "[event_log]") {
  TempDir dir;
  const std::filesystem::path path = dir / "no-such-dir" / "jobs.jsonl";
  try {
    EventLog log(path);
    FAIL("opened a log in a missing directory");
  } catch (const Exception& exception) {
    CHECK(exception.error().code == ErrorCode::NotFound);
    CHECK(exception.error().path == path.string());
    CHECK_THAT(exception.error().message, Catch::Contains(path.string()));
  }
}

TEST_CASE("a full disk stops the log, and error() says which file and how much was lost",
          "[event_log]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  EventLog log("/dev/full");  // every write fails with ENOSPC
  CHECK_FALSE(log.error());
  Task<int> task = immediate(dir, "quick", 3);
  log.add("quick", task);
  REQUIRE(task.wait().value() == 3);  // the task is not hurt by its log
  log.flush();
  const std::optional<Error> error = log.error();
  REQUIRE(error);
  CHECK(error->code == ErrorCode::Io);
  CHECK(error->systemError == ENOSPC);
  CHECK(error->path == "/dev/full");
  CHECK_THAT(error->message, Catch::Contains("event log '/dev/full'"));
  CHECK_THAT(error->message, Catch::Contains("events not written"));
}

TEST_CASE("a sink that throws stops the log with the sink's words", "[event_log]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  EventLog log([](std::string_view) { throw std::runtime_error("socket closed"); });
  Task<int> task = immediate(dir, "quick", 3);
  log.add("quick", task);
  REQUIRE(task.wait().value() == 3);
  log.flush();
  const std::optional<Error> error = log.error();
  REQUIRE(error);
  CHECK_THAT(error->message, Catch::Contains("socket closed"));
}

TEST_CASE("a log destroyed while its tasks run writes nothing more and leaves them be",
          "[event_log]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  CollectedEvents collected;
  const auto gate = keptGate();
  Task<int> task = twoSteps(dir, "outlives the log", gate);
  {
    EventLog log(collected.sink());
    log.add("outlives the log", task);
    REQUIRE(collected.waitFor(task.id(), "progress"));
  }
  const std::size_t before = collected.of(task.id()).size();
  gate->open();
  REQUIRE(task.wait().value() == 7);
  CHECK(collected.of(task.id()).size() == before);
}

TEST_CASE("an empty task cannot be logged", "[event_log]") {
  CollectedEvents collected;
  EventLog log(collected.sink());
  CHECK_THROWS_AS(log.add("nothing", Task<int>{}), std::invalid_argument);
  CHECK_THROWS_AS(EventLog(std::function<void(std::string_view)>{}), std::invalid_argument);
}

TEST_CASE("a log added while its task reports sees each event once", "[event_log]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  constexpr int kSteps = 300;
  const auto gate = keptGate();
  LaunchOptions options;
  options.description = "chatty";
  options.outputDirectory = dir.path();
  Task<int> task = runInThread(options, [gate](std::stop_token stop, OutputWriter& writer) {
    if (!gate->waitOrStop(stop)) throw std::runtime_error("stopped");
    for (int step = 1; step <= kSteps; ++step) {
      (void)writer.progress(std::to_string(step) + "/" + std::to_string(kSteps));
    }
    return 1;
  });
  std::vector<std::unique_ptr<CollectedEvents>> collected;
  std::vector<std::unique_ptr<EventLog>> logs;
  for (int i = 0; i < 20; ++i) {
    collected.push_back(std::make_unique<CollectedEvents>());
    logs.push_back(std::make_unique<EventLog>(collected.back()->sink()));
    logs.back()->add("chatty", task);
    if (i == 0) gate->open();  // the others join while it reports
  }
  REQUIRE(task.wait());
  for (std::size_t i = 0; i < logs.size(); ++i) {
    logs[i]->flush();
    const std::vector<json> events = collected[i]->of(task.id());
    const std::vector<std::string> kinds = collected[i]->kindsOf(task.id());
    CHECK(std::count(kinds.begin(), kinds.end(), "started") == 1);
    CHECK(std::count(kinds.begin(), kinds.end(), "settled") == 1);
    CHECK(kinds.back() == "settled");
    std::string lastProgress;
    for (const json& event : events) {
      if (event["event"] != "progress") continue;
      CHECK(event["text"] != lastProgress);  // never the same update twice
      lastProgress = event["text"];
    }
    CHECK(lastProgress == std::to_string(kSteps) + "/" + std::to_string(kSteps));
  }
}

TEST_CASE("an agent killed after its task settled is logged after settled, and says so",
          "[event_log]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  CollectedEvents collected;
  EventLog log(collected.sink());
  // Added as it runs (it may settle first), or once it has settled: a settled task is still
  // listened to, its agent may run on.
  const bool addedOnceSettled = GENERATE(false, true);
  INFO("added once settled: " << addedOnceSettled);
  std::uint64_t id = 0;
  {
    // An ERROR settles the task at once; the agent runs on until its Task goes.
    Task<> task = launch(shell(dir, "early error", "echo '[ERROR] broke'; exec sleep 30"));
    id = task.id();
    if (!addedOnceSettled) log.add("early error", task);
    REQUIRE(task.wait().error().code == ErrorCode::AgentFailed);
    if (addedOnceSettled) log.add("early error", task);  // caught up, then listened to
  }
  REQUIRE(collected.waitFor(id, "killed"));
  log.flush();
  const std::vector<json> events = collected.of(id);
  const std::vector<std::string> kinds = collected.kindsOf(id);
  CHECK(kinds.front() == "started");
  const auto settled = std::find(kinds.begin(), kinds.end(), "settled");
  const auto killed = std::find(kinds.begin(), kinds.end(), "killed");
  REQUIRE(settled < killed);
  const json& kill = events[static_cast<std::size_t>(killed - kinds.begin())];
  CHECK(kill["afterSettled"] == true);
  CHECK(kill["reason"] == "cancelled");
  CHECK(kill["elapsedMs"].get<std::int64_t>() >= 0);
}

TEST_CASE("a log added after the kill of a settled task's agent is caught up with it, once",
          "[event_log]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  CollectedEvents early;
  EventLog earlyLog(early.sink());
  std::optional<TaskView> view;
  {
    Task<> task = launch(shell(dir, "killed late", "echo '[ERROR] broke'; exec sleep 30"));
    view.emplace(task);
    earlyLog.add("killed late", task);
    REQUIRE(task.wait().error().code == ErrorCode::AgentFailed);
  }
  REQUIRE(early.waitFor(view->id(), "killed"));
  CollectedEvents late;
  EventLog lateLog(late.sink());
  lateLog.add("killed late", *view);
  earlyLog.flush();
  lateLog.flush();
  // From the kill on, both logs hear the same; the late one told nothing twice.
  const auto kills = [&](const CollectedEvents& events) {
    std::vector<std::string> signals;
    for (const json& event : events.of(view->id())) {
      if (event["event"] == "killed") signals.push_back(event["signal"]);
    }
    return signals;
  };
  CHECK(kills(late) == kills(early));
  const std::vector<std::string> kinds = late.kindsOf(view->id());
  REQUIRE(kinds.size() >= 3);
  CHECK(std::vector<std::string>(kinds.begin(), kinds.begin() + 3) ==
        std::vector<std::string>{"started", "settled", "killed"});
  CHECK(late.of(view->id())[2]["afterSettled"] == true);
}

TEST_CASE("a late log's caught-up events carry when each happened", "[event_log]") {
  NothingLeftBehind nothingLeft;
  TempDir dir;
  const auto toProgress = keptGate();
  const auto toEnd = keptGate();
  LaunchOptions options;
  options.description = "paced";
  options.outputDirectory = dir.path();
  // Each step waits for its gate, then works for 100 ms (the pause is the agent's work, not a
  // wait for anything): the three events are at least 100 ms apart.
  Task<int> task =
      runInThread(options, [toProgress, toEnd](std::stop_token stop, OutputWriter& writer) {
        if (!toProgress->waitOrStop(stop)) throw std::runtime_error("stopped");
        std::this_thread::sleep_for(100ms);
        (void)writer.progress("1/1 done");
        if (!toEnd->waitOrStop(stop)) throw std::runtime_error("stopped");
        std::this_thread::sleep_for(100ms);
        return 1;
      });
  {
    CollectedEvents early;  // says when the watcher has seen each step
    EventLog watching(early.sink());
    watching.add("paced", task);
    REQUIRE(early.waitFor(task.id(), "started"));
    toProgress->open();
    REQUIRE(early.waitFor(task.id(), "progress"));
    toEnd->open();
    REQUIRE(task.wait());
  }
  CollectedEvents collected;
  EventLog log(collected.sink());
  log.add("paced", task);
  log.flush();
  const std::vector<json> events = collected.of(task.id());
  REQUIRE(collected.kindsOf(task.id()) ==
          std::vector<std::string>{"started", "progress", "settled"});
  const auto elapsed = [&](std::size_t i) { return events[i]["elapsedMs"].get<std::int64_t>(); };
  CHECK(elapsed(1) - elapsed(0) >= 100);
  CHECK(elapsed(2) - elapsed(1) >= 100);
}
