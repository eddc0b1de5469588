// SPDX-License-Identifier: MIT
// bgagent/dashboard.hpp: the former path of bgagent/monitor/dashboard.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/monitor/dashboard.hpp>
#pragma once

#pragma GCC warning "bgagent/dashboard.hpp moved to bgagent/monitor/dashboard.hpp"

#include <bgagent/monitor/dashboard.hpp>
