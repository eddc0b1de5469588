// SPDX-License-Identifier: MIT
// bgagent/monitor/detail/display_width_inl.hpp: the bodies of display_width.hpp's functions (inline
// in header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/monitor/detail/display_width.hpp>
// What the bodies use besides their header:
#include <cstddef>
#include <string>
#include <string_view>

namespace bgagent::detail {

BGAGENT_INLINE CodePoint decodeUtf8(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned char first = byte(0);
  if (first < 0x80) return {first, 1};
  std::size_t length = 0;
  char32_t value = 0;
  // The second byte's range rules out overlong forms, surrogates and values past U+10FFFF.
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (first >= 0xC2 && first <= 0xDF) {
    length = 2;
    value = first & 0x1FU;
  } else if (first >= 0xE0 && first <= 0xEF) {
    length = 3;
    value = first & 0x0FU;
    if (first == 0xE0) low = 0xA0;
    if (first == 0xED) high = 0x9F;
  } else if (first >= 0xF0 && first <= 0xF4) {
    length = 4;
    value = first & 0x07U;
    if (first == 0xF0) low = 0x90;
    if (first == 0xF4) high = 0x8F;
  } else {
    return {0xFFFD, 1};
  }
  if (at + length > text.size() || byte(1) < low || byte(1) > high) return {0xFFFD, 1};
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0U) != 0x80U) return {0xFFFD, 1};
    value = (value << 6U) | (byte(i) & 0x3FU);
  }
  return {value, length};
}

BGAGENT_INLINE std::string printable(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    const CodePoint point = decodeUtf8(text, at);
    const bool control = point.value < 0x20 || (point.value >= 0x7F && point.value < 0xA0);
    if (control) {
      clean += '?';
    } else {
      clean.append(text.substr(at, point.length));
    }
    at += point.length;
  }
  return clean;
}

BGAGENT_INLINE std::size_t displayWidth(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t at = 0; at < text.size();) {
    const CodePoint point = decodeUtf8(text, at);
    width += static_cast<std::size_t>(codePointWidth(point.value));
    at += point.length;
  }
  return width;
}

BGAGENT_INLINE std::string fitToWidth(std::string_view text, std::size_t width) {
  if (displayWidth(text) <= width) return std::string(text);
  if (width == 0) return {};
  std::string cut;
  std::size_t used = 0;
  for (std::size_t at = 0; at < text.size();) {
    const CodePoint point = decodeUtf8(text, at);
    const auto columns = static_cast<std::size_t>(codePointWidth(point.value));
    if (used + columns > width - 1) break;  // one column kept for the ellipsis
    cut.append(text.substr(at, point.length));
    used += columns;
    at += point.length;
  }
  return cut + "\u2026";
}

BGAGENT_INLINE std::string padToWidth(std::string_view text, std::size_t width) {
  std::string fitted = fitToWidth(text, width);
  fitted.append(width - displayWidth(fitted), ' ');
  return fitted;
}

}  // namespace bgagent::detail
