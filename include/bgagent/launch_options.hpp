// SPDX-License-Identifier: MIT
// bgagent/launch_options.hpp: the former path of bgagent/agents/launch_options.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/agents/launch_options.hpp>
#pragma once

#pragma GCC warning "bgagent/launch_options.hpp moved to bgagent/agents/launch_options.hpp"

#include <bgagent/agents/launch_options.hpp>
