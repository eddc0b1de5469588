// SPDX-License-Identifier: MIT
// bgagent/monitor/detail/terminal.hpp: what the dashboard asks of a terminal: is this stream one,
// how big is it, may it show colour, and the escape sequences it draws with.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

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

/// `line` with the status word at byte `at` coloured; unchanged when the line was cut before
/// it or the word has no colour (Pending).
inline std::string colourStatus(const std::string& line, std::size_t at, std::string_view word) {
  if (at > line.size() || line.compare(at, word.size(), word) != 0) return line;
  std::string_view code;
  if (word == "Succeeded") code = "32";
  if (word == "Failed" || word == "Crashed" || word == "TimedOut") code = "31";
  if (word == "Cancelled") code = "33";
  if (word == "Stalled") code = "35";
  if (word == "Running") code = "36";
  if (code.empty()) return line;
  return line.substr(0, at) + "\x1b[" + std::string(code) + "m" + std::string(word) + "\x1b[0m" +
         line.substr(at + word.size());
}

/// Hides the cursor of a terminal for its lifetime (when `hide`), and shows it again however
/// the scope ends. The hide sequence is flushed before the constructor returns.
class HiddenCursor {
 public:
  HiddenCursor(std::FILE* out, bool hide) : out_(hide ? out : nullptr) {
    if (out_ == nullptr) return;
    std::fwrite(kHideCursor.data(), 1, kHideCursor.size(), out_);
    // Out now: a signal's handler writes the show sequence straight to the descriptor, and it
    // must come after this.
    std::fflush(out_);
  }
  HiddenCursor(const HiddenCursor&) = delete;
  HiddenCursor& operator=(const HiddenCursor&) = delete;
  ~HiddenCursor() {
    if (out_ == nullptr) return;
    std::fwrite(kShowCursor.data(), 1, kShowCursor.size(), out_);
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
};

}  // namespace bgagent::detail
