// SPDX-License-Identifier: MIT
// bgagent/agent_state.hpp: the former path of bgagent/protocol/agent_state.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/protocol/agent_state.hpp>
#pragma once

#pragma GCC warning "bgagent/agent_state.hpp moved to bgagent/protocol/agent_state.hpp"

#include <bgagent/protocol/agent_state.hpp>
