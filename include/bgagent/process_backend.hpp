// SPDX-License-Identifier: MIT
// bgagent/process_backend.hpp: the former path of bgagent/agents/process_backend.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/agents/process_backend.hpp>
#pragma once

#pragma GCC warning "bgagent/process_backend.hpp moved to bgagent/agents/process_backend.hpp"

#include <bgagent/agents/process_backend.hpp>
