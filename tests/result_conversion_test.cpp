// SPDX-License-Identifier: MIT
// convertResult<T>: a RESULT that does not convert names the member that did not fit. Built in
// the main test binary and, as bgagent_json_diagnostics_tests, with JSON_DIAGNOSTICS=1, where
// nlohmann_json names the member itself.
#include <bgagent/protocol/result_conversion.hpp>
#include <string>
#include <vector>

#include "catch.hpp"

using bgagent::convertResult;
using bgagent::ErrorCode;
using nlohmann::json;

namespace {

struct Suite {
  std::string name;
  int passed = 0;
  std::vector<int> durations;
};

// Reads name first, then stats.passed, then durations: the order the tests rely on.
void from_json(const json& value, Suite& suite) {
  value.at("name").get_to(suite.name);
  value.at("stats").at("passed").get_to(suite.passed);
  value.at("durations").get_to(suite.durations);
}

// Member names that need quoting (and, in a JSON pointer, escaping).
struct Odd {
  int count = 0;
};
void from_json(const json& value, Odd& odd) {
  value.at("a/b").at("the count").get_to(odd.count);
}

// Reads a number written as text, failing its own way (std::invalid_argument) on "".
struct Counted {
  int count = 0;
};
void from_json(const json& value, Counted& counted) {
  counted.count = std::stoi(value.at("count").get<std::string>());
}

std::string conversionError(const json& value) {
  const bgagent::Result<Suite> converted = convertResult<Suite>(value);
  REQUIRE_FALSE(converted);
  CHECK(converted.error().code == ErrorCode::InvalidResult);
  const std::string prefix = "RESULT does not convert to the requested type: ";
  REQUIRE(converted.error().message.starts_with(prefix));
  return converted.error().message.substr(prefix.size());
}

}  // namespace

TEST_CASE("a RESULT that converts gives the value", "[result]") {
  const auto converted = convertResult<Suite>(
      json::parse(R"({"name": "unit", "stats": {"passed": 7}, "durations": [1, 2]})"));
  REQUIRE(converted);
  CHECK(converted->name == "unit");
  CHECK(converted->passed == 7);
  CHECK(converted->durations == std::vector<int>{1, 2});
}

TEST_CASE("a member of the wrong type is named by its path", "[result]") {
  CHECK(conversionError(
            json::parse(R"({"name": "unit", "stats": {"passed": "7"}, "durations": []})")) ==
        ".stats.passed: type must be number, but is string");
  CHECK(conversionError(json::parse(R"({"name": 3, "stats": {"passed": 7}, "durations": []})")) ==
        ".name: type must be string, but is number");
  CHECK(conversionError(
            json::parse(R"({"name": "unit", "stats": {"passed": 7}, "durations": [1, "2", 3]})")) ==
        ".durations[1]: type must be number, but is string");
  CHECK(conversionError(
            json::parse(R"({"name": "unit", "stats": {"passed": 7}, "durations": {"a": 1}})")) ==
        ".durations: type must be array, but is object");
}

TEST_CASE("members of the same type read before the wrong one, or never read, are not named",
          "[result]") {
  // "name" and "note" are strings too: name is read (and fits), note is never read.
  CHECK(conversionError(json::parse(R"({"note": "x", "name": "unit", "stats": {"passed": "7"},
                                        "durations": []})")) ==
        ".stats.passed: type must be number, but is string");
}

TEST_CASE("a member name that is not an identifier is quoted", "[result]") {
  const auto converted = convertResult<Odd>(json::parse(R"({"a/b": {"the count": "x"}})"));
  REQUIRE_FALSE(converted);
  CHECK(converted.error().message == R"(RESULT does not convert to the requested type: )"
                                     R"(["a/b"]["the count"]: type must be number, but is string)");
}

TEST_CASE("a missing member or a value of the wrong kind says so without a path", "[result]") {
#if JSON_DIAGNOSTICS
  CHECK(conversionError(json::parse(R"({"name": "unit", "stats": {}, "durations": []})")) ==
        ".stats: key 'passed' not found");
#else
  CHECK(conversionError(json::parse(R"({"name": "unit", "stats": {}, "durations": []})")) ==
        "key 'passed' not found");
#endif
  CHECK(conversionError(json::parse("[1, 2]")) == "cannot use at() with array");
}

TEST_CASE("with more members of the found type than are tried, no path is guessed", "[result]") {
  json value = json::parse(R"({"name": "unit", "stats": {"passed": "7"}, "durations": []})");
  for (int i = 0; i < 64; ++i) value["extra" + std::to_string(i)] = "filler";
#if JSON_DIAGNOSTICS
  CHECK(conversionError(value) == ".stats.passed: type must be number, but is string");
#else
  CHECK(conversionError(value) == "type must be number, but is string");
#endif
}

TEST_CASE("a from_json that fails its own way on the stand-in value costs the path, nothing more",
          "[result]") {
  const auto converted = convertResult<Counted>(json::parse(R"({"count": 5})"));
  REQUIRE_FALSE(converted);
#if JSON_DIAGNOSTICS
  CHECK(
      converted.error().message ==
      "RESULT does not convert to the requested type: .count: type must be string, but is number");
#else
  CHECK(converted.error().message ==
        "RESULT does not convert to the requested type: type must be string, but is number");
#endif
}
