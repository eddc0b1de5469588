// SPDX-License-Identifier: MIT
// bgagent/core/stop_reason.hpp: StopReason, why the host ended an agent before it ended by itself.
// Thread safety: a value type.
#pragma once

#include <string_view>

namespace bgagent {

/// Why the host asked an agent to stop; None while it has not. The first reason asked wins.
enum class StopReason : int { None, Cancelled, TimedOut, HostShutdown };

/// The reason in words, as messages say it: "none", "cancelled", "timed out", "host shutdown".
constexpr std::string_view toString(StopReason reason) noexcept {
  switch (reason) {
    case StopReason::None:
      return "none";
    case StopReason::Cancelled:
      return "cancelled";
    case StopReason::TimedOut:
      return "timed out";
    case StopReason::HostShutdown:
      return "host shutdown";
  }
  return "unknown";
}

}  // namespace bgagent
