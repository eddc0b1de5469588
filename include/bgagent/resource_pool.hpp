// SPDX-License-Identifier: MIT
// bgagent/resource_pool.hpp: the former path of bgagent/combinators/resource_pool.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/combinators/resource_pool.hpp>
#pragma once

#pragma GCC warning "bgagent/resource_pool.hpp moved to bgagent/combinators/resource_pool.hpp"

#include <bgagent/combinators/resource_pool.hpp>
