// SPDX-License-Identifier: MIT
// bgagent/tuple_combinators.hpp: the former path of bgagent/combinators/tuple_combinators.hpp, kept
// for one release.
// IWYU pragma: private, include <bgagent/combinators/tuple_combinators.hpp>
#pragma once

#pragma GCC warning \
    "bgagent/tuple_combinators.hpp moved to bgagent/combinators/tuple_combinators.hpp"

#include <bgagent/combinators/tuple_combinators.hpp>
