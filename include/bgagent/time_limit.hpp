// SPDX-License-Identifier: MIT
// bgagent/time_limit.hpp: the former path of bgagent/combinators/time_limit.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/combinators/time_limit.hpp>
#pragma once

#pragma GCC warning "bgagent/time_limit.hpp moved to bgagent/combinators/time_limit.hpp"

#include <bgagent/combinators/time_limit.hpp>
