// SPDX-License-Identifier: MIT
// bgagent/event_log.hpp: the former path of bgagent/monitor/event_log.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/monitor/event_log.hpp>
#pragma once

#pragma GCC warning "bgagent/event_log.hpp moved to bgagent/monitor/event_log.hpp"

#include <bgagent/monitor/event_log.hpp>
