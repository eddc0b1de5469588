// SPDX-License-Identifier: MIT
// A one-file user of bgagent, built by the consumer tests against the installed package, through
// FetchContent (header-only and compiled mode) and with pkg-config. It parses an output file's
// text, so in compiled mode it links the library's non-template code.
#include <bgagent/bgagent.hpp>
#include <cstdio>

int main() {
  constexpr bgagent::Version version = bgagent::version();
  bgagent::OutputParser parser("consumer.out");
  parser.feed(
      "[START] 2026-01-30T10:00:00Z\n[RESULT]\n{\"success\": true}\n[COMPLETE] "
      "2026-01-30T10:05:00Z\n");
  if (parser.snapshot().status != bgagent::Status::Succeeded) {
    std::printf("consumer: bgagent could not parse a finished output file\n");
    return 1;
  }
  std::printf("consumer: bgagent %d.%d.%d ok\n", version.major, version.minor, version.patch);
  return 0;
}
