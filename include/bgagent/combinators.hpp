// SPDX-License-Identifier: MIT
// bgagent/combinators.hpp: the former path of bgagent/combinators/combinators.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/combinators/combinators.hpp>
#pragma once

#pragma GCC warning "bgagent/combinators.hpp moved to bgagent/combinators/combinators.hpp"

#include <bgagent/combinators/combinators.hpp>
