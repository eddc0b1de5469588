// Code written against the former time-limit names: it must still compile, and each use must
// warn (tests/CMakeLists.txt compiles it once per RENAMED_USE and looks for the warning).
#include <bgagent/bgagent.hpp>
#include <chrono>

using namespace std::chrono_literals;

int main() {
#if RENAMED_USE == 1
  bgagent::LaunchOptions options{.prompt = "true", .timeout = 5s};
  return options.timeout.value ? 0 : 1;
#elif RENAMED_USE == 2
  bgagent::RetryOptions options;
  options.attemptTimeout = 5s;
  return options.attemptTimeout.value ? 0 : 1;
#elif RENAMED_USE == 3
  auto task = bgagent::withTimeout(bgagent::launch({.prompt = "true"}), 5s);
  return task.get().value("success", false) ? 0 : 1;
#endif
}
