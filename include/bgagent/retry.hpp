// SPDX-License-Identifier: MIT
// bgagent/retry.hpp: the former path of bgagent/combinators/retry.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/combinators/retry.hpp>
#pragma once

#pragma GCC warning "bgagent/retry.hpp moved to bgagent/combinators/retry.hpp"

#include <bgagent/combinators/retry.hpp>
