// 08_dashboard: the seed's monitoring dashboard, in C++.
//
// Four agents of different lengths report their progress; a Dashboard shows them until all have
// settled: redrawn in place on a terminal, one line per status change in a pipe or a CI log.
#include <bgagent/bgagent.hpp>
#include <bgagent/dashboard.hpp>
#include <cstdio>
#include <string>
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

}  // namespace

int main() {
  std::vector<bgagent::Task<>> tasks;
  tasks.push_back(worker("fetch sources", 2, "0.2"));
  tasks.push_back(worker("build", 6, "0.2"));
  tasks.push_back(worker("unit tests", 4, "0.3"));
  tasks.push_back(worker("docs", 3, "0.1"));

  bgagent::Dashboard dashboard;
  for (const auto& task : tasks) dashboard.add(task.description(), task);
  dashboard.display(stdout);  // returns once every agent has settled
  return 0;
}
