// SPDX-License-Identifier: MIT
// Code written against the former time-limit names: it must still compile, and each use must
// warn here, where it is used (tests/CMakeLists.txt compiles it once per RENAMED_USE and looks
// for the warning); case 0 copies options without naming them and must not warn.
#include <bgagent/bgagent.hpp>
#include <chrono>

using namespace std::chrono_literals;

int main() {
#if RENAMED_USE == 0  // options copied, never naming a former member: no warning at all
  bgagent::LaunchOptions options{.prompt = "true"};
  bgagent::LaunchOptions copy = options;
  copy = options;
  bgagent::RetryOptions retry;
  bgagent::RetryOptions retryCopy = retry;
  return copy.prompt.size() == 4 && retryCopy.maxAttempts == 3 ? 0 : 1;
#elif RENAMED_USE == 1
  bgagent::LaunchOptions options{.prompt = "true", .timeout = 5s};
  return 0;
#elif RENAMED_USE == 2
  bgagent::RetryOptions options;
  options.attemptTimeout = 5s;
  return 0;
#elif RENAMED_USE == 3
  auto task = bgagent::withTimeout(bgagent::launch({.prompt = "true"}), 5s);
  return task.get().value("success", false) ? 0 : 1;
#endif
}
