// SPDX-License-Identifier: MIT
// bgagent/task_view.hpp: the former path of bgagent/agents/task_view.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/agents/task_view.hpp>
#pragma once

#pragma GCC warning "bgagent/task_view.hpp moved to bgagent/agents/task_view.hpp"

#include <bgagent/agents/task_view.hpp>
