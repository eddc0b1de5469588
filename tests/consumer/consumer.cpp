// SPDX-License-Identifier: MIT
// A one-file user of bgagent, built by the consumer tests against the installed package and
// through FetchContent.
#include <bgagent/bgagent.hpp>
#include <cstdio>

int main() {
  constexpr bgagent::Version version = bgagent::version();
  std::printf("consumer: bgagent %d.%d.%d ok\n", version.major, version.minor, version.patch);
  return 0;
}
