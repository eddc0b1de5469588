// SPDX-License-Identifier: MIT
// bgagent/then.hpp: the former path of bgagent/combinators/then.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/combinators/then.hpp>
#pragma once

#pragma GCC warning "bgagent/then.hpp moved to bgagent/combinators/then.hpp"

#include <bgagent/combinators/then.hpp>
