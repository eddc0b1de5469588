// SPDX-License-Identifier: MIT
// bgagent/monitor/detail/terminal_inl.hpp: the bodies of terminal.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/monitor/detail/terminal.hpp>
// What the bodies use besides their header:
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace bgagent::detail {

BGAGENT_INLINE std::string cursorUp(std::size_t lines) {
  return "\x1b[" + std::to_string(lines) + "F";
}

BGAGENT_INLINE bool isTerminal(std::FILE* out) {
  const char* term = std::getenv("TERM");
  return ::isatty(::fileno(out)) == 1 && term != nullptr && term[0] != '\0' &&
         std::string_view(term) != "dumb";
}

BGAGENT_INLINE std::optional<TerminalSize> terminalSize(std::FILE* out) {
  winsize size{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &size) != 0 || size.ws_col == 0) return std::nullopt;
  return TerminalSize{size.ws_col, size.ws_row};
}

BGAGENT_INLINE bool colourAllowed() {
  const char* noColor = std::getenv("NO_COLOR");
  return noColor == nullptr || noColor[0] == '\0';
}

BGAGENT_INLINE std::string colourStatus(const std::string& line, std::size_t at,
                                        std::string_view word) {
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

BGAGENT_INLINE HiddenCursor::HiddenCursor(std::FILE* out, bool hide) : out_(hide ? out : nullptr) {
  if (out_ == nullptr) return;
  std::fwrite(kHideCursor.data(), 1, kHideCursor.size(), out_);
  // Out now: a signal's handler writes the show sequence straight to the descriptor, and it
  // must come after this.
  std::fflush(out_);
}

BGAGENT_INLINE HiddenCursor::~HiddenCursor() {
  if (out_ == nullptr) return;
  std::fwrite(kShowCursor.data(), 1, kShowCursor.size(), out_);
  std::fflush(out_);
}

}  // namespace bgagent::detail
