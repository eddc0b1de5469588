// SPDX-License-Identifier: MIT
// 03_timeout: a timeout ends a wait; a time limit stops the agent.
//
// The agent reports progress and then takes far longer than the host allows. Waiting on its
// file with a timeout ends with TimedOut while the agent runs on (the outcome is a value, not an
// exception); the agent's time limit then stops it: SIGTERM to its process group, a grace
// period, SIGKILL, and its file says "timed out".
#include <bgagent/bgagent.hpp>
#include <chrono>
#include <cstdio>
#include <string>

int main() {
  using namespace std::chrono_literals;
  // A slow agent: the last step would run for a minute.
  bgagent::Task<> task = bgagent::launch({.description = "Index the whole archive",
                                          .prompt = "echo '[PROGRESS] 1/2 listing files'; "
                                                    "exec sleep 60",
                                          .timeLimit = 3s,
                                          .cleanup = bgagent::CleanupPolicy::DeleteAlways});

  // A wait on the agent's file: at most 1 s. The wait ends, the agent does not.
  const bgagent::WaitOutcome early = bgagent::waitForCompletion(task.outputPath(), 1s);
  std::printf("after 1 s: %s, the agent had reached: %s\n",
              std::string(bgagent::toString(early.status)).c_str(),
              early.snapshot.progress.text.c_str());

  // The time limit ends the agent itself.
  const bgagent::Result<nlohmann::json> result = task.wait();
  if (result || task.status() != bgagent::Status::TimedOut) {
    std::printf("expected the time limit to stop the agent, got %s\n",
                std::string(bgagent::toString(task.status())).c_str());
    return 1;
  }
  std::printf("stopped at its time limit: %s\n", result.error().message.c_str());
  return early.status == bgagent::Status::TimedOut ? 0 : 1;
}
