// SPDX-License-Identifier: MIT
// bgagent/from_future.hpp: the former path of bgagent/combinators/from_future.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/combinators/from_future.hpp>
#pragma once

#pragma GCC warning "bgagent/from_future.hpp moved to bgagent/combinators/from_future.hpp"

#include <bgagent/combinators/from_future.hpp>
