// SPDX-License-Identifier: MIT
// bgagent/protocol/detail/json_value_scanner.hpp: finds where a JSON object or array ends, fed a
// line at a time, without parsing it (docs/protocol.md, P13). Tracks nesting depth, strings and
// escapes only; nlohmann_json validates the text once its end is found.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/detail/config.hpp>
#include <cstddef>
#include <string_view>

namespace bgagent::detail {

class JsonValueScanner {
 public:
  static constexpr std::size_t kNotEnded = std::string_view::npos;

  explicit JsonValueScanner(std::size_t maxDepth = 512) noexcept : maxDepth_(maxDepth) {}

  /// Scans `text`, which must continue the bytes scanned so far. Returns the index just past
  /// the value's closing bracket, or kNotEnded (also once the value nests deeper than maxDepth:
  /// see tooDeep()). The first byte ever scanned must be `{` or `[`.
  std::size_t scan(std::string_view text) noexcept {
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

  /// True when the scanned bytes end inside a string: a line break there is invalid JSON.
  bool inString() const noexcept { return inString_; }

  /// True once the value nested deeper than maxDepth.
  bool tooDeep() const noexcept { return tooDeep_; }

  void reset() noexcept {
    depth_ = 0;
    inString_ = false;
    escaped_ = false;
    tooDeep_ = false;
  }

 private:
  std::size_t maxDepth_;
  std::size_t depth_ = 0;
  bool inString_ = false;
  bool escaped_ = false;
  bool tooDeep_ = false;
};

}  // namespace bgagent::detail
