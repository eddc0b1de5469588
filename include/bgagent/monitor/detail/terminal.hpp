// SPDX-License-Identifier: MIT
// bgagent/monitor/detail/terminal.hpp: what the dashboard asks of a terminal: is this stream one,
// how big is it, may it show colour, and the escape sequences it draws with.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/detail/config.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace bgagent::detail {

inline constexpr std::string_view kHideCursor = "\x1b[?25l";
inline constexpr std::string_view kShowCursor = "\x1b[?25h";
inline constexpr std::string_view kClearLine = "\x1b[2K";
inline constexpr std::string_view kClearBelow = "\x1b[J";

/// Back to the start of the line `lines` above the cursor.
std::string cursorUp(std::size_t lines);

/// A terminal that understands cursor movement: a tty whose TERM is set and not "dumb".
bool isTerminal(std::FILE* out);

struct TerminalSize {
  std::size_t columns = 0;
  std::size_t rows = 0;
};

/// The terminal's size, or nothing when `out` is not a terminal (or it does not say).
std::optional<TerminalSize> terminalSize(std::FILE* out);

/// Colour unless NO_COLOR is set and not empty (no-color.org).
bool colourAllowed();

/// `line` with the status word at byte `at` coloured; unchanged when the line was cut before
/// it or the word has no colour (Pending).
std::string colourStatus(const std::string& line, std::size_t at, std::string_view word);

/// Hides the cursor of a terminal for its lifetime (when `hide`), and shows it again however
/// the scope ends. The hide sequence is flushed before the constructor returns.
class HiddenCursor {
 public:
  HiddenCursor(std::FILE* out, bool hide);
  HiddenCursor(const HiddenCursor&) = delete;
  HiddenCursor& operator=(const HiddenCursor&) = delete;
  ~HiddenCursor();

 private:
  std::FILE* out_;
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/monitor/detail/terminal_inl.hpp>
#endif
