// SPDX-License-Identifier: MIT
// bgagent/protocol/detail/timestamp.hpp: ISO-8601 UTC timestamps for [START], [COMPLETE] and
// [HEARTBEAT] (docs/protocol.md, P25).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/detail/config.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace bgagent::detail {

using SystemTime = std::chrono::system_clock::time_point;

/// `2026-01-30T10:00:00.123Z`: UTC with milliseconds. Pure arithmetic on <chrono> civil dates,
/// so no gmtime and no locale.
std::string formatTimestamp(SystemTime time);

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
std::optional<SystemTime> parseTimestamp(std::string_view text);

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/protocol/detail/timestamp_inl.hpp>
#endif
