// SPDX-License-Identifier: MIT
// tests/fuzz/parser_fuzz_replay_test.cpp: replays the committed fuzz corpus through the parser
// oracle, so every input the fuzzer or a person found interesting is a test in every build
// (STYLE.md 17).
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "catch.hpp"
#include "fuzz/parser_fuzz.hpp"

namespace {

std::vector<std::filesystem::path> corpusFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(BGAGENT_FUZZ_CORPUS_DIR)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::uint8_t> readBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read corpus file " + path.string());
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("every committed fuzz input keeps chunked parses equal to the one-shot parse", "[fuzz]") {
  const std::vector<std::filesystem::path> files = corpusFiles();
  REQUIRE_FALSE(files.empty());
  for (const std::filesystem::path& file : files) {
    INFO("corpus file " << file.filename().string());
    const std::vector<std::uint8_t> bytes = readBytes(file);
    CHECK_NOTHROW(bgagent::test::checkParserInvariants(bytes.data(), bytes.size()));
  }
}

TEST_CASE("the fuzz oracle reports a broken invariant with the limits and the chunking", "[fuzz]") {
  const bgagent::test::ChunkPlan plan(0x2c);
  const std::vector<std::size_t> sizes = plan.sizesFor(100);
  std::size_t total = 0;
  for (const std::size_t size : sizes) {
    CHECK(size >= 1);
    CHECK(size <= 16);
    total += size;
  }
  CHECK(total == 100);
  CHECK(plan.describe(100).starts_with("seed 0x2c (chunks of 1..16 bytes: "));

  // A snapshot that claims more bytes than the text has must be caught and described.
  const bgagent::ParserLimits limits = bgagent::test::parser_fuzz::smallLimits();
  const std::string text = "[START] 2026-01-30T10:00:00Z\n";
  bgagent::OutputSnapshot snapshot = bgagent::parseOutput(text, "fuzz.out", limits);
  snapshot.bytes += 1;
  const bgagent::test::parser_fuzz::CheckContext context{"small", limits, "one-shot parse", plan,
                                                         text};
  CHECK_THROWS_WITH(bgagent::test::parser_fuzz::checkSnapshot(context, snapshot),
                    Catch::Matchers::StartsWith("parser invariant violated: bytes is 30, the "
                                                "text has 29 [one-shot parse, small limits, "
                                                "seed 0x2c (chunks of 1..16 bytes: "));
}
