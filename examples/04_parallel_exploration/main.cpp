// SPDX-License-Identifier: MIT
// 04_parallel_exploration: the seed's parallel exploration, in C++.
//
// An "Explore" agent type is registered once (here a stand-in script for an AI agent's command
// line, with the prompt passed as an argument, never through a shell). Three explorations start
// in the background at once; the host is free until it waits for all of them with all().
#include <bgagent/bgagent.hpp>
#include <cstdio>
#include <string>
#include <vector>

struct Exploration {
  std::string topic;
  int files = 0;
  long long bytes = 0;
  std::string largest;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Exploration, topic, files, bytes, largest)

int main() {
  bgagent::AgentRegistry::defaultRegistry().addCommand("Explore",
                                                       {EXPLORE_AGENT, "--topic", "{prompt}"});

  // Launch agents in the background: each call returns at once with a Task.
  std::vector<bgagent::Task<Exploration>> tasks;
  for (const char* topic : {"/usr/include", "/usr/bin", "/etc"}) {
    tasks.push_back(bgagent::launch<Exploration>({
        .description = std::string("Explore ") + topic,
        .prompt = topic,
        .agentType = "Explore",
        .cleanup = bgagent::CleanupPolicy::DeleteOnSuccess,
    }));
  }
  std::printf("%zu explorations running in the background\n", tasks.size());

  // Wait for all of them: every value in launch order, or the first failure (the others are
  // then stopped, and their errors kept in the failure's `related`).
  const std::size_t count = tasks.size();
  const bgagent::Result<std::vector<Exploration>> all = bgagent::all(std::move(tasks)).wait();
  if (!all) {
    std::printf("exploration failed: %s\n", all.error().message.c_str());
    for (const bgagent::Error& other : all.error().related) {
      std::printf("  and: %s\n", other.message.c_str());
    }
    return 1;
  }
  for (const Exploration& found : *all) {
    std::printf("%-20s %5d files, %9lld bytes, largest %s\n", found.topic.c_str(), found.files,
                found.bytes, found.largest.c_str());
  }
  std::printf("%zu of %zu explorations done\n", all->size(), count);
  return 0;
}
