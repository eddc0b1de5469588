// SPDX-License-Identifier: MIT
// bgagent/agent_backend.hpp: the former path of bgagent/agents/agent_backend.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/agents/agent_backend.hpp>
#pragma once

#pragma GCC warning "bgagent/agent_backend.hpp moved to bgagent/agents/agent_backend.hpp"

#include <bgagent/agents/agent_backend.hpp>
