// SPDX-License-Identifier: MIT
// bgagent/stop_reason.hpp: the former path of bgagent/core/stop_reason.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/core/stop_reason.hpp>
#pragma once

#pragma GCC warning "bgagent/stop_reason.hpp moved to bgagent/core/stop_reason.hpp"

#include <bgagent/core/stop_reason.hpp>
