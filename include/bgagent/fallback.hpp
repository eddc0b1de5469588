// SPDX-License-Identifier: MIT
// bgagent/fallback.hpp: the former path of bgagent/combinators/fallback.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/combinators/fallback.hpp>
#pragma once

#pragma GCC warning "bgagent/fallback.hpp moved to bgagent/combinators/fallback.hpp"

#include <bgagent/combinators/fallback.hpp>
