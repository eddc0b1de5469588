// SPDX-License-Identifier: MIT
// bgagent/timeout.hpp: the former name of bgagent/time_limit.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/time_limit.hpp>
#pragma once

#pragma GCC warning "bgagent/timeout.hpp is renamed bgagent/time_limit.hpp (withTimeLimit)"

#include <bgagent/time_limit.hpp>
