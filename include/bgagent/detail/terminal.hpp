// bgagent/detail/terminal.hpp: what the dashboard asks of a terminal: is this stream one, how
// big is it, may it show colour, and the escape sequences it draws with.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace bgagent::detail {

inline constexpr std::string_view kHideCursor = "\x1b[?25l";
inline constexpr std::string_view kShowCursor = "\x1b[?25h";
inline constexpr std::string_view kClearLine = "\x1b[2K";
inline constexpr std::string_view kClearBelow = "\x1b[J";

/// Back to the start of the line `lines` above the cursor.
inline std::string cursorUp(std::size_t lines) {
  return "\x1b[" + std::to_string(lines) + "F";
}

/// A terminal that understands cursor movement: a tty whose TERM is set and not "dumb".
inline bool isTerminal(std::FILE* out) {
  const char* term = std::getenv("TERM");
  return ::isatty(::fileno(out)) == 1 && term != nullptr && term[0] != '\0' &&
         std::string_view(term) != "dumb";
}

struct TerminalSize {
  std::size_t columns = 0;
  std::size_t rows = 0;
};

/// The terminal's size, or nothing when `out` is not a terminal (or it does not say).
inline std::optional<TerminalSize> terminalSize(std::FILE* out) {
  winsize size{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &size) != 0 || size.ws_col == 0) return std::nullopt;
  return TerminalSize{size.ws_col, size.ws_row};
}

/// Colour unless NO_COLOR is set and not empty (no-color.org).
inline bool colourAllowed() {
  const char* noColor = std::getenv("NO_COLOR");
  return noColor == nullptr || noColor[0] == '\0';
}

/// `line` with its first status word (two spaces before, one after) coloured.
inline std::string colourStatus(const std::string& line) {
  for (const auto& [word, code] :
       {std::pair{"Succeeded", "32"}, std::pair{"Failed", "31"}, std::pair{"Crashed", "31"},
        std::pair{"TimedOut", "31"}, std::pair{"Cancelled", "33"}, std::pair{"Stalled", "35"},
        std::pair{"Running", "36"}}) {
    const std::size_t at = line.find(std::string("  ") + word + " ");
    if (at == std::string::npos) continue;
    return line.substr(0, at + 2) + "\x1b[" + code + "m" + word + "\x1b[0m" +
           line.substr(at + 2 + std::string_view(word).size());
  }
  return line;
}

}  // namespace bgagent::detail
