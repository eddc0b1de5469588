// SPDX-License-Identifier: MIT
// bgagent/function_backend.hpp: the former path of bgagent/agents/function_backend.hpp, kept for
// one release.
// IWYU pragma: private, include <bgagent/agents/function_backend.hpp>
#pragma once

#pragma GCC warning "bgagent/function_backend.hpp moved to bgagent/agents/function_backend.hpp"

#include <bgagent/agents/function_backend.hpp>
