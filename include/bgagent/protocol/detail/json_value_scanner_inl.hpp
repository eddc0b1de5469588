// SPDX-License-Identifier: MIT
// bgagent/protocol/detail/json_value_scanner_inl.hpp: the bodies of json_value_scanner.hpp's
// functions (inline, or built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/protocol/detail/json_value_scanner.hpp>
// What the bodies use besides their header:
#include <cstddef>
#include <string_view>

namespace bgagent::detail {

BGAGENT_INLINE std::size_t JsonValueScanner::scan(std::string_view text) noexcept {
  if (tooDeep_) return kNotEnded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        inString_ = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        inString_ = true;
        break;
      case '{':
      case '[':
        // Deep nesting is cheap to write and costly to copy (copies recurse): refuse it.
        if (++depth_ > maxDepth_) {
          tooDeep_ = true;
          return kNotEnded;
        }
        break;
      case '}':
      case ']':
        // A stray closer at depth 0 cannot happen for text that starts with an opener; a
        // mismatched one ({]) still closes a level and is left for the JSON parser to reject.
        if (depth_ > 0 && --depth_ == 0) return i + 1;
        break;
      default:
        break;
    }
  }
  return kNotEnded;
}

BGAGENT_INLINE void JsonValueScanner::reset() noexcept {
  depth_ = 0;
  inString_ = false;
  escaped_ = false;
  tooDeep_ = false;
}

}  // namespace bgagent::detail
