// SPDX-License-Identifier: MIT
#include <bgagent/protocol/detail/timestamp.hpp>
#include <chrono>

#include "catch.hpp"

using bgagent::detail::formatTimestamp;
using bgagent::detail::parseTimestamp;
using namespace std::chrono;

TEST_CASE("timestamps are written as UTC with milliseconds and read back", "[timestamp]") {
  const auto time = sys_days{2026y / January / 30} + 10h + 5min + 7s + 123ms;
  CHECK(formatTimestamp(time) == "2026-01-30T10:05:07.123Z");
  CHECK(parseTimestamp("2026-01-30T10:05:07.123Z") == time);
}

TEST_CASE("timestamps accept whole seconds, nine fraction digits and +00:00", "[timestamp]") {
  const auto base = sys_days{2026y / January / 30} + 10h;
  CHECK(parseTimestamp("2026-01-30T10:00:00Z") == base);
  CHECK(parseTimestamp("2026-01-30T10:00:00+00:00") == base);
  CHECK(parseTimestamp("2026-01-30T10:00:00.000000001Z") == base + 1ns);
}

TEST_CASE("timestamps in any other form are refused", "[timestamp]") {
  for (const char* text :
       {"", "yesterday", "2026-01-30", "2026-01-30 10:00:00Z", "2026-01-30T10:00:00",
        "2026-01-30T10:00:00+01:00", "2026-02-29T10:00:00Z", "2026-13-01T10:00:00Z",
        "2026-01-30T24:00:00Z", "2026-01-30T10:00:00.Z", "2026-01-30T10:00:00.1234567890Z",
        "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2262-04-12T00:00:00Z",
        "2026-01-30T10:00:00Zjunk"}) {
    INFO(text);
    CHECK_FALSE(parseTimestamp(text).has_value());
  }
}
