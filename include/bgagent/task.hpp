// SPDX-License-Identifier: MIT
// bgagent/task.hpp: the former path of bgagent/agents/task.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/agents/task.hpp>
#pragma once

#pragma GCC warning "bgagent/task.hpp moved to bgagent/agents/task.hpp"

#include <bgagent/agents/task.hpp>
