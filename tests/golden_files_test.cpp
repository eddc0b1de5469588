// SPDX-License-Identifier: MIT
// Golden files: tests/data/NAME.out is an output file, NAME.expected.json the snapshot fields a
// reader must report for it (docs/protocol.md; the file names carry the rule, p13_... for P13).
// Every file is also parsed in every chunking that matters: byte by byte, split at every
// offset, and in fixed-size chunks; each must give the one-shot snapshot exactly.
#include <bgagent/protocol/output_parser.hpp>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/snapshot_json.hpp"
#include "support/test_support.hpp"

namespace {

using bgagent::OutputParser;
using bgagent::OutputSnapshot;

std::vector<std::filesystem::path> goldenFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(BGAGENT_TEST_DATA_DIR)) {
    if (entry.path().extension() == ".out") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

OutputSnapshot parseInChunks(std::string_view text, const std::string& name,
                             const std::vector<std::size_t>& cuts) {
  OutputParser parser(name);
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    parser.feed(text.substr(from, cut - from));
    from = cut;
  }
  parser.feed(text.substr(from));
  return parser.snapshot();
}

bool matches(const nlohmann::json& expected, const nlohmann::json& actual) {
  if (expected.is_number() && actual.is_number()) {
    return std::abs(expected.get<double>() - actual.get<double>()) < 1e-9;
  }
  return expected == actual;
}

}  // namespace

TEST_CASE("every golden output file gives the snapshot its expectation names", "[parser][golden]") {
  const auto files = goldenFiles();
  REQUIRE(files.size() >= 30);
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    INFO("golden file " << name);
    auto expectationPath = file;
    expectationPath.replace_extension(".expected.json");
    const auto expected = nlohmann::json::parse(bgagent::test::readFile(expectationPath));
    const auto actual =
        bgagent::test::toJson(bgagent::parseOutput(bgagent::test::readFile(file), name));
    REQUIRE(expected.contains("status"));
    for (const auto& [key, value] : expected.items()) {
      INFO("field " << key << ": expected " << value.dump() << ", got " << actual.at(key).dump());
      CHECK(matches(value, actual.at(key)));
    }
  }
}

TEST_CASE("every chunking of every golden file gives the one-shot snapshot", "[parser][golden]") {
  for (const auto& file : goldenFiles()) {
    const std::string name = file.filename().string();
    const std::string text = bgagent::test::readFile(file);
    const OutputSnapshot whole = bgagent::parseOutput(text, name);
    INFO("golden file " << name);

    std::vector<std::size_t> everyByte;
    for (std::size_t i = 1; i < text.size(); ++i) everyByte.push_back(i);
    CHECK(parseInChunks(text, name, everyByte) == whole);

    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
      INFO("split at byte " << cut);
      CHECK(parseInChunks(text, name, {cut}) == whole);
    }
    for (std::size_t size : {2u, 3u, 7u, 16u, 61u}) {
      std::vector<std::size_t> cuts;
      for (std::size_t at = size; at < text.size(); at += size) cuts.push_back(at);
      INFO("chunks of " << size);
      CHECK(parseInChunks(text, name, cuts) == whole);
    }
  }
}
