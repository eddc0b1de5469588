// 04_parallel_exploration: the seed's parallel exploration, in C++.
//
// An "Explore" agent type is registered once (here a stand-in script for an AI agent's command
// line, with the prompt passed as an argument, never through a shell). Three explorations start
// in the background at once; the host is free until it waits for all of them.
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

  // Wait for all of them.
  int explored = 0;
  for (const auto& task : tasks) {
    const bgagent::Result<Exploration> result = task.wait();
    if (!result) {
      std::printf("%s\n", result.error().message.c_str());
      continue;
    }
    ++explored;
    std::printf("%-40s %5d files, %9lld bytes, largest %s\n", task.description().c_str(),
                result->files, result->bytes, result->largest.c_str());
  }
  std::printf("%d of %zu explorations done\n", explored, tasks.size());
  return explored == static_cast<int>(tasks.size()) ? 0 : 1;
}
