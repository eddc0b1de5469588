// SPDX-License-Identifier: MIT
// bgagent/dashboard_table.hpp: the former path of bgagent/monitor/dashboard_table.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/monitor/dashboard_table.hpp>
#pragma once

#pragma GCC warning "bgagent/dashboard_table.hpp moved to bgagent/monitor/dashboard_table.hpp"

#include <bgagent/monitor/dashboard_table.hpp>
