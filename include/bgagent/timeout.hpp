// SPDX-License-Identifier: MIT
// bgagent/timeout.hpp: the former name of bgagent/combinators/time_limit.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/combinators/time_limit.hpp>
#pragma once

#pragma GCC warning \
    "bgagent/timeout.hpp is renamed bgagent/combinators/time_limit.hpp (withTimeLimit)"

#include <bgagent/combinators/time_limit.hpp>
