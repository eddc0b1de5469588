// SPDX-License-Identifier: MIT
// bgagent/run_limited.hpp: the former path of bgagent/combinators/run_limited.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/combinators/run_limited.hpp>
#pragma once

#pragma GCC warning "bgagent/run_limited.hpp moved to bgagent/combinators/run_limited.hpp"

#include <bgagent/combinators/run_limited.hpp>
