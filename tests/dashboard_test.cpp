// SPDX-License-Identifier: MIT
// Tests of bgagent/monitor/dashboard.hpp and monitor/detail/display_width.hpp: golden renderings
// for each state and for wide characters, the plain mode's lines without escape bytes, the live
// mode's redrawing, and the JSON snapshot.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bgagent/bgagent.hpp>
#include <bgagent/monitor/dashboard.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
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
using bgagent::detail::displayWidth;
using bgagent::detail::fitToWidth;

namespace {

DashboardRow row(std::string name, Status status, SteadyClock::duration duration,
                 std::string progress = "", std::optional<double> percent = std::nullopt) {
  return DashboardRow{std::move(name), status, duration,
                      Progress{std::move(progress), percent, progress.empty() ? 0U : 1U}, ""};
}

// What display() wrote to a temporary file.
std::string displayed(const Dashboard& dashboard) {
  std::FILE* out = std::tmpfile();
  REQUIRE(out != nullptr);
  dashboard.display(out);
  std::rewind(out);
  std::string text;
  char buffer[4096];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, out)) > 0) text.append(buffer, count);
  std::fclose(out);
  return text;
}

// What display() writes to a pipe, read as it comes; `afterFirstFrame` runs once the first
// frame is out (it must let the tasks settle, or display() never returns).
std::string displayedThroughPipe(const Dashboard& dashboard,
                                 const std::function<void()>& afterFirstFrame) {
  int ends[2];
  REQUIRE(::pipe(ends) == 0);
  std::FILE* writeEnd = ::fdopen(ends[1], "w");
  REQUIRE(writeEnd != nullptr);
  std::thread shower([&] {
    dashboard.display(writeEnd);
    std::fclose(writeEnd);
  });
  // The first frame is out once its summary line is ("N agents: ...\n").
  std::string text;
  char buffer[4096];
  ssize_t count = 0;
  const auto firstFrameRead = [&] {
    const std::size_t summary = text.find(" agents: ");
    return summary != std::string::npos && text.find('\n', summary) != std::string::npos;
  };
  while (!firstFrameRead() && (count = ::read(ends[0], buffer, sizeof buffer)) > 0) {
    text.append(buffer, static_cast<std::size_t>(count));
  }
  const bool sawFirstFrame = firstFrameRead();
  afterFirstFrame();  // before any REQUIRE: the display thread must be able to finish
  while ((count = ::read(ends[0], buffer, sizeof buffer)) > 0) {
    text.append(buffer, static_cast<std::size_t>(count));
  }
  shower.join();
  ::close(ends[0]);
  REQUIRE(sawFirstFrame);
  return text;
}

}  // namespace

TEST_CASE("display width: wide characters take two columns, combining marks none",
          "[dashboard][width]") {
  CHECK(displayWidth("agent") == 5);
  CHECK(displayWidth("検証") == 4);
  CHECK(displayWidth("🚀") == 2);
  CHECK(displayWidth("e\xCC\x81") == 1);                  // e + combining acute accent
  CHECK(displayWidth("\xFF\xFE") == 2);                   // invalid bytes: a column each
  CHECK(fitToWidth("検証エージェント", 7) == "検証エ…");  // never half a character
  CHECK(displayWidth(fitToWidth("検証エージェント", 7)) == 7);
  CHECK(fitToWidth("short", 10) == "short");
}

TEST_CASE("the table renders every state, aligned, with a summary and an ETA", "[dashboard]") {
  const std::vector<DashboardRow> rows{
      row("build", Status::Running, 12300ms, "compiling 3/6", 50.0),
      row("unit tests", Status::Succeeded, 4s),
      row("lint", Status::Failed, 61s),
      row("docs", Status::Pending, 0s),
      row("deploy", Status::Cancelled, 2s),
      row("e2e", Status::TimedOut, 30s, "step 2 of 5", 40.0),
      row("fuzz", Status::Crashed, 1s),
  };
  CHECK(Dashboard::renderTable(rows, 100) ==
        "Agent       Status     Duration  Progress\n"
        "build       Running       12.3s  [#####.....]  50%  compiling 3/6\n"
        "unit tests  Succeeded        4s  [##########] 100%\n"
        "lint        Failed         1m1s  \n"
        "docs        Pending           -  \n"
        "deploy      Cancelled        2s  \n"
        "e2e         TimedOut        30s  [####......]  40%  step 2 of 5\n"
        "fuzz        Crashed          1s  \n"
        // build, halfway after 12.3 s, has 12.3 s left by its own rate; docs the mean of the
        // finished ones, deploy's cancel left out: (4 + 61 + 30 + 1) / 4 = 24 s; one running.
        "7 agents: 1 running, 1 pending, 1 done, 3 failed, 1 cancelled, ETA 36.3s\n");
}

// docs/dashboard.md, "Summary": the ETA table, row by row.
TEST_CASE("the ETA of a running agent comes from its own progress rate", "[dashboard][eta]") {
  // 10 s for 25%: 30 s left; 4 s for 80%: 1 s left. Nothing has finished, so the pending one is
  // expected to take the mean projected duration, (40 + 5) / 2 = 22.5 s; shared by two running
  // agents the sum is 26.75 s, but the slowest running one has 30 s left.
  const std::vector<DashboardRow> rows{
      row("quarter", Status::Running, 10s, "1/4", 25.0),
      row("most", Status::Running, 4s, "4/5", 80.0),
      row("next", Status::Pending, 0s),
  };
  CHECK(detail::summaryLine(rows) == "3 agents: 2 running, 1 pending, 0 done, 0 failed, ETA 30s");
  // Shared work dominates: four pending agents of 22.5 s each make (30 + 1 + 90) / 2 = 60.5 s.
  std::vector<DashboardRow> more = rows;
  for (int i = 0; i < 3; ++i) more.push_back(row("later", Status::Pending, 0s));
  CHECK(detail::summaryLine(more).ends_with(", ETA 1m0s"));
}

TEST_CASE("a running agent at 100% has nothing left, one without a percent uses the mean",
          "[dashboard][eta]") {
  const std::vector<DashboardRow> rows{
      row("full", Status::Running, 9s, "done soon", 100.0),
      row("quiet", Status::Running, 1s),
      row("finished", Status::Succeeded, 5s),
  };
  // quiet: the 5 s mean less its 1 s; full: none.
  CHECK(detail::summaryLine(rows) == "3 agents: 2 running, 0 pending, 1 done, 0 failed, ETA 4s");
}

TEST_CASE("a stalled agent counts as running, and one at 0% goes by the mean", "[dashboard][eta]") {
  const std::vector<DashboardRow> rows{
      row("silent", Status::Stalled, 6s, "3/4", 75.0),   // 2 s left by its rate
      row("starting", Status::Running, 1s, "0/5", 0.0),  // no rate yet: the 8 s mean less 1 s
      row("finished", Status::Failed, 8s),
  };
  CHECK(detail::summaryLine(rows) ==
        "3 agents: 2 running (1 stalled), 0 pending, 0 done, 1 failed, ETA 7s");
}

TEST_CASE("no ETA while an unfinished agent has no estimate", "[dashboard][eta]") {
  // Past the finished ones' mean without a percent: its estimate has run out.
  CHECK(detail::summaryLine(
            {row("slow", Status::Running, 9s), row("quick", Status::Succeeded, 2s)}) ==
        "2 agents: 1 running, 0 pending, 1 done, 0 failed");
  // A rate that projects beyond 30 days is no estimate (nor an overflow).
  CHECK(detail::summaryLine({row("huge", Status::Running, 3s, "1/1000000000000", 1e-10)}) ==
        "1 agents: 1 running, 0 pending, 0 done, 0 failed");
  // Nothing finished and no percent: nothing to go by for "quiet".
  CHECK(detail::summaryLine(
            {row("quiet", Status::Running, 1s), row("half", Status::Running, 2s, "1/2", 50.0)}) ==
        "2 agents: 2 running, 0 pending, 0 done, 0 failed");
  // Nothing finished and nothing running with a percent: the pending one has no estimate.
  CHECK(detail::summaryLine({row("next", Status::Pending, 0s)}) ==
        "1 agents: 0 running, 1 pending, 0 done, 0 failed");
  // Only cancelled ones finished: a cancel says nothing about how long the work takes.
  CHECK(
      detail::summaryLine({row("cut", Status::Cancelled, 3s), row("next", Status::Pending, 0s)}) ==
      "2 agents: 0 running, 1 pending, 0 done, 0 failed, 1 cancelled");
}

TEST_CASE("wide names keep the columns aligned, and long names are cut", "[dashboard][width]") {
  const std::vector<DashboardRow> rows{
      row("検証エージェント 🚀", Status::Running, 1s),
      row("plain", Status::Running, 1s),
      row("a very long agent name that goes on and on and on", Status::Running, 1s),
  };
  const std::string table = Dashboard::renderTable(rows, 80);
  std::vector<std::size_t> statusColumns;
  for (std::size_t at = 0; at < table.size();) {
    const std::size_t end = table.find('\n', at);
    const std::string line = table.substr(at, end - at);
    const std::size_t status = line.find("Running");
    if (status != std::string::npos) statusColumns.push_back(displayWidth(line.substr(0, status)));
    at = end + 1;
  }
  REQUIRE(statusColumns.size() == 3);
  CHECK(statusColumns[0] == statusColumns[1]);
  CHECK(statusColumns[1] == statusColumns[2]);
  CHECK(table.find("a very long agent name that g\u2026") != std::string::npos);
}

TEST_CASE("plain mode writes one line per status change and no escape bytes", "[dashboard]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  Dashboard dashboard(
      DashboardOptions{.refreshInterval = 5ms, .width = std::nullopt, .mode = DisplayMode::Plain});
  Task<int> quick = immediate(dir, "quick", 1);
  Task<int> broken = failing(dir, "broken", "no");
  dashboard.add("quick agent", quick);
  dashboard.add("broken agent", broken);
  const std::string text = displayed(dashboard);  // returns once both have settled
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find("quick agent: Succeeded after ") != std::string::npos);
  CHECK(text.find("broken agent: Failed after ") != std::string::npos);
  CHECK(text.find(broken.outputPath().string()) != std::string::npos);
  CHECK(text.ends_with("2 agents: 0 running, 0 pending, 1 done, 1 failed\n"));
}

TEST_CASE("live mode redraws the table in place, in colour unless NO_COLOR", "[dashboard]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto gate = keptGate();
  Dashboard dashboard(
      DashboardOptions{.refreshInterval = 1ms, .width = 80, .mode = DisplayMode::Live});
  Task<int> held = gated(dir, "held", gate, 1);
  dashboard.add("held agent", held);
  ::unsetenv("NO_COLOR");
  // The first frame has been drawn once the pipe has bytes: then the agent may finish.
  const std::string text = displayedThroughPipe(dashboard, [&] { gate->open(); });
  CHECK(text.find("\x1b[2K") != std::string::npos);  // each line cleared before it is drawn
  CHECK(text.find("\x1b[3F") != std::string::npos);  // back up over the 3 lines drawn before
  CHECK(text.find("\x1b[32mSucceeded\x1b[0m") != std::string::npos);
  ::setenv("NO_COLOR", "1", 1);
  const std::string plain = displayed(dashboard);  // settled already: one frame
  ::unsetenv("NO_COLOR");
  CHECK(plain.find("\x1b[3") == std::string::npos);
  // The cursor is hidden while the table is drawn and shown again at the end.
  CHECK(plain.starts_with("\x1b[?25l\x1b[2KAgent"));
  CHECK(plain.ends_with("\x1b[J\x1b[?25h"));
  CHECK(text.starts_with("\x1b[?25l"));
  CHECK(text.ends_with("\x1b[?25h"));
}

TEST_CASE("the JSON snapshot has every task's state, progress, duration and file", "[dashboard]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  Dashboard dashboard;
  Task<int> done = immediate(dir, "done", 1);
  REQUIRE(done.wait());
  dashboard.add("finished agent", done);
  const nlohmann::json snapshot = dashboard.toJson();
  REQUIRE(snapshot["tasks"].size() == 1);
  const nlohmann::json& task = snapshot["tasks"][0];
  CHECK(task["name"] == "finished agent");
  CHECK(task["status"] == "Succeeded");
  CHECK(task["durationMs"].get<long long>() ==
        std::chrono::duration_cast<std::chrono::milliseconds>(done.duration()).count());
  CHECK(task["percent"].is_null());  // the agent wrote no PROGRESS
  CHECK(task["progress"] == "");
  CHECK(task["outputFile"] == done.outputPath().string());
  CHECK(snapshot["summary"] == "1 agents: 0 running, 0 pending, 1 done, 0 failed");
  CHECK_THROWS_AS(dashboard.add("empty", Task<int>{}), std::invalid_argument);
}

TEST_CASE("every line fits a narrow width, and agent text cannot inject control bytes",
          "[dashboard][width]") {
  const std::vector<DashboardRow> rows{
      row("evil\x1b[2J\nname", Status::Running, 1s, "50% \x1b[31mred\r", 50.0),
      row("ok", Status::Succeeded, 2s),
  };
  const std::string table = Dashboard::renderTable(rows, 20);
  std::size_t lines = 0;
  for (std::size_t at = 0; at < table.size();) {
    const std::size_t end = table.find('\n', at);
    CHECK(displayWidth(table.substr(at, end - at)) <= 20);
    at = end + 1;
    ++lines;
  }
  CHECK(lines == 4);  // header, two rows, summary: the name's newline did not add one
  CHECK(table.find('\x1b') == std::string::npos);
  CHECK(table.find('\r') == std::string::npos);
  CHECK(bgagent::detail::printable("a\x1b[2Jb") == "a?[2Jb");
  CHECK(displayWidth("\xFF\x80\x80") == 3);  // not a lead byte: three invalid bytes
  CHECK(displayWidth("\xE0\x80\x80") == 3);  // an overlong form is invalid
}

TEST_CASE("rows past the height fold into one line, the running and failed ones kept",
          "[dashboard]") {
  const std::vector<DashboardRow> rows{
      row("a", Status::Succeeded, 1s), row("b", Status::Pending, 0s),
      row("c", Status::Running, 2s),   row("d", Status::Pending, 0s),
      row("e", Status::Failed, 3s),    row("f", Status::Succeeded, 1s),
      row("g", Status::Running, 2s),   row("h", Status::Pending, 0s),
  };
  // 7 lines: header, four rows, the folded line, the summary.
  CHECK(Dashboard::renderTable(rows, 60, 7) ==
        "Agent  Status     Duration  Progress\n"
        "b      Pending           -  \n"
        "c      Running          2s  \n"
        "e      Failed           3s  \n"
        "g      Running          2s  \n"
        "+4 more: 2 pending, 2 succeeded\n"
        // c and g, without a percent, have run past the finished ones' mean: no estimate.
        "8 agents: 2 running, 3 pending, 2 done, 1 failed\n");
  // Rows that fit are all shown, with no folded line.
  const std::vector<DashboardRow> few(rows.begin(), rows.begin() + 5);
  const std::string table = Dashboard::renderTable(few, 60, 7);
  CHECK(table.find("more:") == std::string::npos);
  CHECK(std::count(table.begin(), table.end(), '\n') == 7);
  // However small the height, one row is shown.
  const std::string tiny = Dashboard::renderTable(rows, 60, 2);
  CHECK(std::count(tiny.begin(), tiny.end(), '\n') == 4);
}

TEST_CASE("a running agent silent for stalledAfter shows Stalled", "[dashboard]") {
  CHECK(Dashboard::renderTable({row("quiet", Status::Stalled, 90s)}, 60) ==
        "Agent  Status     Duration  Progress\n"
        "quiet  Stalled       1m30s  \n"
        "1 agents: 1 running (1 stalled), 0 pending, 0 done, 0 failed\n");

  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  auto gate = keptGate();
  Task<int> held = gated(dir, "held", gate, 1);
  // The event log says when the watcher has seen the agent start (its first output).
  std::mutex mutex;
  std::condition_variable startedSeen;
  bool started = false;
  EventLog log([&](std::string_view line) {
    if (nlohmann::json::parse(line)["event"] != "started") return;
    {
      std::lock_guard lock(mutex);
      started = true;
    }
    startedSeen.notify_all();
  });
  log.add("held", held);
  {
    std::unique_lock lock(mutex);
    REQUIRE(startedSeen.wait_for(lock, 20s, [&] { return started; }));
  }
  Dashboard eager(DashboardOptions{.stalledAfter = 0ms});
  Dashboard patient;  // a minute
  eager.add("held", held);
  patient.add("held", held);
  CHECK(eager.rows()[0].status == Status::Stalled);
  CHECK(eager.toJson()["tasks"][0]["status"] == "Stalled");
  CHECK(patient.rows()[0].status == Status::Running);
  gate->open();
  REQUIRE(held.wait());
  CHECK(eager.rows()[0].status == Status::Succeeded);  // settled: no longer running
}

namespace {
std::atomic<int> hostSignalsCaught{0};
void hostHandler(int) {
  hostSignalsCaught.fetch_add(1);
}
}  // namespace

TEST_CASE(
    "SIGINT during display cancels the tasks shown, waits, then reaches the host's "
    "handler",
    "[dashboard][signal]") {
  NothingLeftBehind check;
  TempDir dir;
  EveryAgentFinished finished(dir);
  struct sigaction host {};
  host.sa_handler = &hostHandler;
  sigemptyset(&host.sa_mask);
  struct sigaction before {};
  REQUIRE(::sigaction(SIGINT, &host, &before) == 0);
  hostSignalsCaught.store(0);

  Task<int> endless = gated(dir, "endless", keptGate(), 1);  // its gate never opens
  LaunchOptions sleeper = shell(dir, "sleeper", "sleep 60");
  Task<> process = launch(sleeper);
  // Runs once, after the tasks settled and before the host's handler sees the signal again.
  int onInterruptCalls = 0;
  int hostSignalsBeforeIt = -1;
  bool settledBeforeIt = false;
  Dashboard dashboard(
      DashboardOptions{.refreshInterval = 1h, .mode = DisplayMode::Live, .onInterrupt = [&] {
                         ++onInterruptCalls;
                         hostSignalsBeforeIt = hostSignalsCaught.load();
                         settledBeforeIt = endless.settled() && process.settled();
                       }});
  dashboard.add("endless", endless);
  dashboard.add("sleeper", process);
  const std::string text = displayedThroughPipe(dashboard, [] { ::kill(::getpid(), SIGINT); });

  CHECK(endless.status() == Status::Cancelled);
  CHECK(process.status() == Status::Cancelled);
  CHECK(hostSignalsCaught.load() == 1);  // raised again once display() was done
  CHECK(onInterruptCalls == 1);
  CHECK(hostSignalsBeforeIt == 0);
  CHECK(settledBeforeIt);
  struct sigaction after {};
  REQUIRE(::sigaction(SIGINT, &before, &after) == 0);
  CHECK(after.sa_handler == &hostHandler);  // the host's handler was put back
  CHECK(text.starts_with("\x1b[?25l"));
  // Shown twice: at once by the handler, before the final frame, and when display() returned.
  const std::size_t shownFirst = text.find("\x1b[?25h");
  REQUIRE(shownFirst != std::string::npos);
  CHECK(shownFirst < text.find("Cancelled"));
  CHECK(text.ends_with("\x1b[?25h"));
  CHECK(text.find("2 agents: 0 running, 0 pending, 0 done, 0 failed, 2 cancelled") !=
        std::string::npos);
}

TEST_CASE("without cancelOnInterrupt no handler is installed and the cursor stays shown",
          "[dashboard][signal]") {
  NothingLeftBehind check;
  TempDir dir;
  Task<int> done = immediate(dir, "done", 1);
  REQUIRE(done.wait());
  Dashboard dashboard(DashboardOptions{.mode = DisplayMode::Live, .cancelOnInterrupt = false});
  dashboard.add("done", done);
  struct sigaction before {};
  REQUIRE(::sigaction(SIGINT, nullptr, &before) == 0);
  const std::string text = displayed(dashboard);
  CHECK(text.find("\x1b[?25") == std::string::npos);
  struct sigaction after {};
  REQUIRE(::sigaction(SIGINT, nullptr, &after) == 0);
  CHECK(after.sa_handler == before.sa_handler);
}

TEST_CASE("golden: wide and combining characters keep the columns aligned", "[dashboard][width]") {
  const std::vector<DashboardRow> rows{
      row("検証エージェント", Status::Running, 2500ms, "テスト 1/2", 50.0),
      row("🚀 deploy", Status::Succeeded, 1s),
      row("cafe\xCC\x81", Status::Failed, 3s),  // e + combining acute: 4 columns
  };
  CHECK(renderTable(rows, 70) ==
        "Agent             Status     Duration  Progress\n"
        "検証エージェント  Running        2.5s  [#####.....]  50%  テスト 1/2\n"
        "🚀 deploy         Succeeded        1s  [##########] 100%\n"
        "cafe\xCC\x81              Failed           3s  \n"
        // Halfway after 2.5 s: 2.5 s left by its own rate.
        "3 agents: 1 running, 0 pending, 1 done, 1 failed, ETA 2.5s\n");
}

TEST_CASE("colour marks the status column only, never a status word in a name", "[dashboard]") {
  NothingLeftBehind check;
  TempDir dir;
  Task<int> broken = failing(dir, "broken", "no");
  REQUIRE_FALSE(broken.wait());
  Dashboard dashboard(DashboardOptions{.width = 80, .mode = DisplayMode::Live});
  dashboard.add("x  Succeeded once", broken);
  ::unsetenv("NO_COLOR");
  const std::string text = displayed(dashboard);
  CHECK(text.find("x  Succeeded once") != std::string::npos);
  CHECK(text.find("\x1b[32m") == std::string::npos);
  CHECK(text.find("\x1b[31mFailed\x1b[0m") != std::string::npos);
}

TEST_CASE("a terminal too narrow for the status column still gets a table", "[dashboard][width]") {
  NothingLeftBehind check;
  TempDir dir;
  Task<int> done = immediate(dir, "done", 1);
  REQUIRE(done.wait());
  for (const std::size_t width : {std::size_t{0}, std::size_t{3}, std::size_t{12}}) {
    Dashboard dashboard(DashboardOptions{.width = width, .mode = DisplayMode::Live});
    dashboard.add("検証エージェント", done);
    const std::string text = displayed(dashboard);  // cut before the status: no colour, no throw
    CHECK(text.find("\x1b[32m") == std::string::npos);
    CHECK(text.ends_with("\x1b[?25h"));
  }
}
