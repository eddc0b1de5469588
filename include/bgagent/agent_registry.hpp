// SPDX-License-Identifier: MIT
// bgagent/agent_registry.hpp: the former path of bgagent/agents/agent_registry.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/agents/agent_registry.hpp>
#pragma once

#pragma GCC warning "bgagent/agent_registry.hpp moved to bgagent/agents/agent_registry.hpp"

#include <bgagent/agents/agent_registry.hpp>
