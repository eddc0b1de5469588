// SPDX-License-Identifier: MIT
// bgagent/protocol/detail/progress_text.hpp: the small number readers of the protocol: a PROGRESS
// percentage (P11) and plain decimals (Writer: pid=, protocol=).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/detail/config.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

namespace bgagent::detail {

/// A non-negative decimal integer that is the whole of `text`, below 10^15.
constexpr std::optional<std::int64_t> parseDecimal(std::string_view text) noexcept {
  if (text.empty() || text.size() > 15) return std::nullopt;
  std::int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

/// The percentage a PROGRESS text starts with (P11): `NN%` or `NN.N%` within 0..100, or `k/n`
/// with 0 <= k <= n, n > 0; either followed by the end of the text or a space.
constexpr std::optional<double> percentOf(std::string_view text) noexcept {
  const std::size_t wordEnd = text.find(' ');
  const std::string_view word = text.substr(0, wordEnd);
  if (word.size() >= 2 && word.back() == '%') {
    const std::string_view number = word.substr(0, word.size() - 1);
    const std::size_t dot = number.find('.');
    const std::optional<std::int64_t> whole = parseDecimal(number.substr(0, dot));
    if (!whole) return std::nullopt;
    auto value = static_cast<double>(*whole);
    if (dot != std::string_view::npos) {
      const std::string_view digits = number.substr(dot + 1);
      if (!parseDecimal(digits)) return std::nullopt;
      double scale = 0.1;
      for (const char c : digits) {
        value += (c - '0') * scale;
        scale /= 10;
      }
    }
    if (value > 100.0) return std::nullopt;
    return value;
  }
  const std::size_t slash = word.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::optional<std::int64_t> done = parseDecimal(word.substr(0, slash));
  const std::optional<std::int64_t> total = parseDecimal(word.substr(slash + 1));
  if (!done || !total || *total == 0 || *done > *total) return std::nullopt;
  return 100.0 * static_cast<double>(*done) / static_cast<double>(*total);
}

}  // namespace bgagent::detail
