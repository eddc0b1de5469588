// SPDX-License-Identifier: MIT
// bgagent/status.hpp: the former path of bgagent/core/status.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/core/status.hpp>
#pragma once

#pragma GCC warning "bgagent/status.hpp moved to bgagent/core/status.hpp"

#include <bgagent/core/status.hpp>
