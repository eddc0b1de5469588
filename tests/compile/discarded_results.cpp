// SPDX-License-Identifier: MIT
// A Task, a Result or a wait's outcome dropped on the floor: each must warn with what to do
// (tests/CMakeLists.txt compiles it once per DISCARDED_USE and matches the warning at the
// use); case 0 keeps or detaches them and must not warn.
#include <bgagent/bgagent.hpp>
#include <chrono>
#include <vector>

using namespace std::chrono_literals;

int main() {
#if DISCARDED_USE == 0  // kept, detached, or waited for on purpose: no warning
  auto kept = bgagent::launch({.prompt = "true"});
  bgagent::launch({.prompt = "true"}).detach();
  (void)kept.wait();
  const bgagent::WaitOutcome outcome = bgagent::waitForCompletion(kept.outputPath(), 5s);
  return outcome.status == bgagent::Status::Succeeded ? 0 : 1;
#elif DISCARDED_USE == 1
  bgagent::launch({.prompt = "true"});
#elif DISCARDED_USE == 2
  std::vector<bgagent::Task<> > tasks;
  bgagent::all(std::move(tasks));
#elif DISCARDED_USE == 3
  auto task = bgagent::launch({.prompt = "true"});
  task.wait();
#elif DISCARDED_USE == 4
  bgagent::waitForCompletion("agent.out", 5s);
#endif
  return 0;
}
