// SPDX-License-Identifier: MIT
// bgagent/core/clock.hpp: the clock every timeout, deadline and duration of bgagent is measured on.
// A monotonic clock: a wall-clock change never ends a wait early or late.
#pragma once

#include <chrono>

namespace bgagent {

/// The monotonic clock of every timeout, deadline and duration in bgagent.
using SteadyClock = std::chrono::steady_clock;

}  // namespace bgagent
