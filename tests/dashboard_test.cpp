// Tests of bgagent/dashboard.hpp and detail/display_width.hpp: golden renderings for each state
// and for wide characters, the plain mode's lines without escape bytes, the live mode's
// redrawing, and the JSON snapshot.
#include <unistd.h>

#include <bgagent/bgagent.hpp>
#include <bgagent/dashboard.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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

DashboardRow row(std::string name, TaskStatus status, SteadyClock::duration duration,
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
      row("build", TaskStatus::Running, 12300ms, "compiling 3/6", 50.0),
      row("unit tests", TaskStatus::Succeeded, 4s),
      row("lint", TaskStatus::Failed, 61s),
      row("docs", TaskStatus::Pending, 0s),
      row("deploy", TaskStatus::Cancelled, 2s),
      row("e2e", TaskStatus::TimedOut, 30s, "step 2 of 5", 40.0),
      row("fuzz", TaskStatus::Crashed, 1s),
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
        // Finished: 4 + 61 + 2 + 30 + 1 s, a mean of 19.6 s; build has 7.3 s left, docs all 19.6 s.
        "7 agents: 1 running, 1 pending, 1 done, 4 failed, ETA 26.9s\n");
}

TEST_CASE("wide names keep the columns aligned, and long names are cut", "[dashboard][width]") {
  const std::vector<DashboardRow> rows{
      row("検証エージェント 🚀", TaskStatus::Running, 1s),
      row("plain", TaskStatus::Running, 1s),
      row("a very long agent name that goes on and on and on", TaskStatus::Running, 1s),
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
  int ends[2];
  REQUIRE(::pipe(ends) == 0);
  std::FILE* writeEnd = ::fdopen(ends[1], "w");
  REQUIRE(writeEnd != nullptr);
  std::thread shower([&] {
    dashboard.display(writeEnd);
    std::fclose(writeEnd);
  });
  // The first frame has been drawn once the pipe has bytes: then the agent may finish.
  std::string text(4096, '\0');
  const ssize_t first = ::read(ends[0], text.data(), text.size());
  gate->open();  // before any REQUIRE: the display thread must be able to finish
  text.resize(first > 0 ? static_cast<std::size_t>(first) : 0);
  char buffer[4096];
  ssize_t count = 0;
  while ((count = ::read(ends[0], buffer, sizeof buffer)) > 0) {
    text.append(buffer, static_cast<std::size_t>(count));
  }
  shower.join();
  ::close(ends[0]);
  REQUIRE(first > 0);
  CHECK(text.find("\x1b[2K") != std::string::npos);  // each line cleared before it is drawn
  CHECK(text.find("\x1b[3F") != std::string::npos);  // back up over the 3 lines drawn before
  CHECK(text.find("\x1b[32mSucceeded\x1b[0m") != std::string::npos);
  ::setenv("NO_COLOR", "1", 1);
  const std::string plain = displayed(dashboard);  // settled already: one frame
  ::unsetenv("NO_COLOR");
  CHECK(plain.find("\x1b[3") == std::string::npos);
  CHECK(plain.starts_with("\x1b[2KAgent"));
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
      row("evil\x1b[2J\nname", TaskStatus::Running, 1s, "50% \x1b[31mred\r", 50.0),
      row("ok", TaskStatus::Succeeded, 2s),
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
