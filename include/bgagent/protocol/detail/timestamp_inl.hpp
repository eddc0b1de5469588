// SPDX-License-Identifier: MIT
// bgagent/protocol/detail/timestamp_inl.hpp: the bodies of timestamp.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/protocol/detail/timestamp.hpp>
// What the bodies use besides their header:
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace bgagent::detail {

BGAGENT_INLINE std::string formatTimestamp(SystemTime time) {
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

BGAGENT_INLINE std::optional<SystemTime> parseTimestamp(std::string_view text) {
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
