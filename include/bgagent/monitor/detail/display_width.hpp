// SPDX-License-Identifier: MIT
// bgagent/monitor/detail/display_width.hpp: how many terminal columns a UTF-8 string takes, and
// cutting one to a width, so a table with CJK text or emoji stays aligned. A small table of the
// wide ranges (East Asian Wide and Fullwidth, emoji) and the zero-width ones (combining marks,
// joiners, variation selectors); invalid UTF-8 counts one column per byte.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/detail/config.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bgagent::detail {

/// One code point decoded from `text` at `at`; `length` is its byte count (1 for invalid bytes,
/// whose value is then 0xFFFD).
struct CodePoint {
  char32_t value = 0;
  std::size_t length = 1;
};

CodePoint decodeUtf8(std::string_view text, std::size_t at);

/// `text` with control characters (C0, DEL, C1) replaced by '?': what an agent wrote must not
/// move the cursor, clear the screen or break a line of the table.
std::string printable(std::string_view text);

/// Columns one code point takes: 0, 1 or 2.
constexpr int codePointWidth(char32_t c) noexcept {
  if (c == 0) return 0;
  if (c < 0x20 || (c >= 0x7F && c < 0xA0)) return 0;  // control characters
  // Zero width: combining marks, zero-width joiners and spaces, variation selectors.
  if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
      (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x200B && c <= 0x200F) ||
      (c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE00 && c <= 0xFE0F) ||
      (c >= 0xFE20 && c <= 0xFE2F) || (c >= 0xE0100 && c <= 0xE01EF)) {
    return 0;
  }
  // Two columns: East Asian Wide and Fullwidth, and emoji shown as pictures.
  if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x231A && c <= 0x231B) ||
      (c >= 0x2329 && c <= 0x232A) || (c >= 0x23E9 && c <= 0x23EC) || c == 0x23F0 || c == 0x23F3 ||
      (c >= 0x25FD && c <= 0x25FE) || (c >= 0x2614 && c <= 0x2615) ||
      (c >= 0x2648 && c <= 0x2653) || c == 0x267F || c == 0x2693 || c == 0x26A1 ||
      (c >= 0x26AA && c <= 0x26AB) || (c >= 0x26BD && c <= 0x26BE) ||
      (c >= 0x26C4 && c <= 0x26C5) || c == 0x26CE || c == 0x26D4 || c == 0x26EA ||
      (c >= 0x26F2 && c <= 0x26F3) || c == 0x26F5 || c == 0x26FA || c == 0x26FD || c == 0x2705 ||
      (c >= 0x270A && c <= 0x270B) || c == 0x2728 || c == 0x274C || c == 0x274E ||
      (c >= 0x2753 && c <= 0x2755) || c == 0x2757 || (c >= 0x2795 && c <= 0x2797) || c == 0x27B0 ||
      c == 0x27BF || (c >= 0x2B1B && c <= 0x2B1C) || c == 0x2B50 || c == 0x2B55 ||
      (c >= 0x2E80 && c <= 0x303E) || (c >= 0x3041 && c <= 0x33FF) ||
      (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
      (c >= 0xA000 && c <= 0xA4CF) || (c >= 0xA960 && c <= 0xA97F) ||
      (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
      (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
      (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
      (c >= 0x1F680 && c <= 0x1F6FF) || (c >= 0x1F900 && c <= 0x1F9FF) ||
      (c >= 0x1FA70 && c <= 0x1FAFF) || (c >= 0x20000 && c <= 0x3FFFD)) {
    return 2;
  }
  return 1;
}

/// Columns `text` takes on a terminal.
std::size_t displayWidth(std::string_view text);

/// `text` cut to at most `width` columns, ending in "…" when cut; never splits a code point.
std::string fitToWidth(std::string_view text, std::size_t width);

/// `text` padded with spaces to `width` columns (cut first if wider).
std::string padToWidth(std::string_view text, std::size_t width);

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/monitor/detail/display_width_inl.hpp>
#endif
