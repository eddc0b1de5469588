// SPDX-License-Identifier: MIT
// bgagent/wait_outcome.hpp: the former path of bgagent/protocol/wait_outcome.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/protocol/wait_outcome.hpp>
#pragma once

#pragma GCC warning "bgagent/wait_outcome.hpp moved to bgagent/protocol/wait_outcome.hpp"

#include <bgagent/protocol/wait_outcome.hpp>
