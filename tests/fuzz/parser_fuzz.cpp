// SPDX-License-Identifier: MIT
// tests/fuzz/parser_fuzz.cpp: the libFuzzer entry point for the OutputParser oracle
// (parser_fuzz.hpp). Built only with BGAGENT_BUILD_FUZZ=ON; see tests/fuzz/README.md.
#include "parser_fuzz.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    bgagent::test::checkParserInvariants(data, size);
  } catch (const bgagent::test::ParserInvariantViolation& violation) {
    // Say which invariant broke, then crash so that libFuzzer saves and minimises the input.
    std::fprintf(stderr, "%s\n", violation.what());
    __builtin_trap();
  }
  return 0;
}
