// SPDX-License-Identifier: MIT
// A header included by its former path (before the layer folders) still compiles, with a
// warning naming the new path; tests/CMakeLists.txt compiles it once per MOVED_USE.
#if MOVED_USE == 0
#include <bgagent/agents/launch_options.hpp>
#elif MOVED_USE == 1
#include <bgagent/launch_options.hpp>
#endif

int main() {
  bgagent::LaunchOptions options{.prompt = "true"};
  return options.prompt.size() == 4 ? 0 : 1;
}
