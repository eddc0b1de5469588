// SPDX-License-Identifier: MIT
// bgagent/core/detail/system_message.hpp: the system's words for an errno value, apart from the
// system-call seam so that the error vocabulary's bodies need nothing more.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <cstring>
#include <string>

namespace bgagent::detail {

/// The system's words for an errno value (thread-safe, unlike strerror).
inline std::string systemMessage(int errorNumber) {
  char buffer[256];
  // GNU strerror_r returns the message, which may or may not be in buffer.
  return ::strerror_r(errorNumber, buffer, sizeof buffer);
}

}  // namespace bgagent::detail
