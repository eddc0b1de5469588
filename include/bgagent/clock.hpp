// SPDX-License-Identifier: MIT
// bgagent/clock.hpp: the former path of bgagent/core/clock.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/core/clock.hpp>
#pragma once

#pragma GCC warning "bgagent/clock.hpp moved to bgagent/core/clock.hpp"

#include <bgagent/core/clock.hpp>
