// SPDX-License-Identifier: MIT
// bgagent/error.hpp: the former path of bgagent/core/error.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/core/error.hpp>
#pragma once

#pragma GCC warning "bgagent/error.hpp moved to bgagent/core/error.hpp"

#include <bgagent/core/error.hpp>
