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
  std::size_t scan(std::string_view text) noexcept;

  /// True when the scanned bytes end inside a string: a line break there is invalid JSON.
  bool inString() const noexcept { return inString_; }

  /// True once the value nested deeper than maxDepth.
  bool tooDeep() const noexcept { return tooDeep_; }

  void reset() noexcept;

 private:
  std::size_t maxDepth_;
  std::size_t depth_ = 0;
  bool inString_ = false;
  bool escaped_ = false;
  bool tooDeep_ = false;
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/protocol/detail/json_value_scanner_inl.hpp>
#endif
