// SPDX-License-Identifier: MIT
// 08_dashboard: the seed's monitoring dashboard, in C++.
//
// Four agents of different lengths report their progress; a Dashboard shows them until all have
// settled: redrawn in place on a terminal, one line per status change in a pipe or a CI log.
//   --events FILE  also writes a JSON-lines event log (started, progress, ..., settled) to FILE
//   --endless      adds a "watch mode" agent that runs until Ctrl-C, which cancels every agent
#include <bgagent/bgagent.hpp>
#include <bgagent/monitor/dashboard.hpp>
#include <bgagent/monitor/event_log.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

// A "Bash" agent that takes `steps` steps of `pause` seconds, reporting each.
bgagent::Task<> worker(const std::string& name, int steps, const char* pause) {
  const std::string total = std::to_string(steps);
  bgagent::LaunchOptions options;
  options.description = name;
  options.prompt = "for i in $(seq " + total + "); do echo \"[PROGRESS] $i/" + total +
                   " step $i\"; sleep " + pause + "; done; echo '[RESULT] {\"success\": true}'";
  options.cleanup = bgagent::CleanupPolicy::DeleteOnSuccess;
  return bgagent::launch(options);
}

bgagent::Task<> endless() {
  bgagent::LaunchOptions options;
  options.description = "watch mode";
  options.prompt = "i=0; while :; do i=$((i+1)); echo \"[PROGRESS] rebuild $i\"; sleep 0.5; done";
  return bgagent::launch(options);
}

// How many events of each kind a JSON-lines log holds.
std::map<std::string, int> countEvents(const std::string& path) {
  std::map<std::string, int> counts;
  std::ifstream lines(path);
  std::string line;
  while (std::getline(lines, line)) ++counts[nlohmann::json::parse(line)["event"]];
  return counts;
}

}  // namespace

int main(int argc, char** argv) {
  std::string eventsPath;
  bool withEndless = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument == "--events" && i + 1 < argc) {
      eventsPath = argv[++i];
    } else if (argument == "--endless") {
      withEndless = true;
    } else {
      std::fprintf(stderr, "usage: %s [--events FILE] [--endless]\n", argv[0]);
      return 2;
    }
  }

  std::unique_ptr<bgagent::EventLog> log;
  if (!eventsPath.empty()) log = std::make_unique<bgagent::EventLog>(eventsPath);
  std::vector<bgagent::Task<>> tasks;
  tasks.push_back(worker("fetch sources", 2, "0.2"));
  tasks.push_back(worker("build", 6, "0.2"));
  tasks.push_back(worker("unit tests", 4, "0.3"));
  tasks.push_back(worker("docs", 3, "0.1"));
  if (withEndless) tasks.push_back(endless());

  // Ctrl-C cancels every agent, and the signal then ends the program: the log's last events
  // (the agents settling as Cancelled) are written first.
  bgagent::Dashboard dashboard({.onInterrupt = [&log] {
    if (log) log->flush();
  }});
  for (const auto& task : tasks) {
    dashboard.add(task.description(), task);
    if (log) log->add(task.description(), task);
  }
  // Returns once every agent has settled. Ctrl-C cancels them all, waits for them, and then
  // ends the program as Ctrl-C does.
  dashboard.display(stdout);

  if (log) {
    log->flush();  // every event so far is in the file
    if (const auto error = log->error()) {
      std::fprintf(stderr, "%s\n", error->message.c_str());
      return 1;
    }
    const auto counts = countEvents(eventsPath);
    const auto count = [&](const char* kind) {
      const auto found = counts.find(kind);
      return found == counts.end() ? 0 : found->second;
    };
    std::printf("event log %s: %d started, %d progress, %d settled\n", eventsPath.c_str(),
                count("started"), count("progress"), count("settled"));
  }
  return 0;
}
