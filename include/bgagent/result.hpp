// SPDX-License-Identifier: MIT
// bgagent/result.hpp: the former path of bgagent/core/result.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/core/result.hpp>
#pragma once

#pragma GCC warning "bgagent/result.hpp moved to bgagent/core/result.hpp"

#include <bgagent/core/result.hpp>
