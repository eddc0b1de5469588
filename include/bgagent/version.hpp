// SPDX-License-Identifier: MIT
// bgagent/version.hpp: the former path of bgagent/core/version.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/core/version.hpp>
#pragma once

#pragma GCC warning "bgagent/version.hpp moved to bgagent/core/version.hpp"

#include <bgagent/core/version.hpp>
