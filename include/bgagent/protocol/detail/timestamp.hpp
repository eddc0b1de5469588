// SPDX-License-Identifier: MIT
// bgagent/protocol/detail/timestamp.hpp: ISO-8601 UTC timestamps for [START], [COMPLETE] and
// [HEARTBEAT] (docs/protocol.md, P25).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <array>
#include <bgagent/core/detail/config.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace bgagent::detail {

using SystemTime = std::chrono::system_clock::time_point;

/// `2026-01-30T10:00:00.123Z`: UTC with milliseconds. Pure arithmetic on <chrono> civil dates,
/// so no gmtime and no locale.
inline std::string formatTimestamp(SystemTime time) {
  using namespace std::chrono;
  const auto millis = floor<milliseconds>(time);
  const auto day = floor<days>(millis);
  const year_month_day date{day};
  const hh_mm_ss clock{millis - day};
  std::array<char, 40> text{};
  const int length = std::snprintf(
      text.data(), text.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
      static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
      static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
      static_cast<int>(clock.minutes().count()), static_cast<int>(clock.seconds().count()),
      static_cast<int>(clock.subseconds().count()));
  return std::string(text.data(), static_cast<std::size_t>(length));
}

/// Reads exactly `count` decimal digits at `at`, advancing it.
constexpr bool readDigits(std::string_view text, std::size_t& at, std::size_t count, int& value) {
  if (at + count > text.size()) return false;
  value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[at + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  at += count;
  return true;
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00)`; nullopt for anything else.
inline std::optional<SystemTime> parseTimestamp(std::string_view text) {
  using namespace std::chrono;
  std::size_t at = 0;
  int yearValue = 0, monthValue = 0, dayValue = 0, hourValue = 0, minuteValue = 0, secondValue = 0;
  const auto expect = [&](char c) {
    if (at < text.size() && text[at] == c) {
      ++at;
      return true;
    }
    return false;
  };
  if (!readDigits(text, at, 4, yearValue) || !expect('-') || !readDigits(text, at, 2, monthValue) ||
      !expect('-') || !readDigits(text, at, 2, dayValue) || !expect('T') ||
      !readDigits(text, at, 2, hourValue) || !expect(':') ||
      !readDigits(text, at, 2, minuteValue) || !expect(':') ||
      !readDigits(text, at, 2, secondValue)) {
    return std::nullopt;
  }
  nanoseconds fraction{0};
  if (expect('.')) {
    std::int64_t scale = 100'000'000;
    const std::size_t first = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (at - first >= 9) return std::nullopt;
      fraction += nanoseconds{(text[at] - '0') * scale};
      scale /= 10;
      ++at;
    }
    if (at == first) return std::nullopt;
  }
  const std::string_view zone = text.substr(at);
  if (zone != "Z" && zone != "+00:00") return std::nullopt;
  const year_month_day date{year{yearValue}, month{static_cast<unsigned>(monthValue)},
                            day{static_cast<unsigned>(dayValue)}};
  // Years outside 1700..2200 are refused: system_clock counts nanoseconds in 64 bits, which
  // reach only 1677..2262.
  if (!date.ok() || yearValue < 1700 || yearValue > 2200 || hourValue > 23 || minuteValue > 59 ||
      secondValue > 60) {
    return std::nullopt;
  }
  return time_point_cast<SystemTime::duration>(
      sys_days{date} + hours{hourValue} + minutes{minuteValue} + seconds{secondValue} + fraction);
}

}  // namespace bgagent::detail
