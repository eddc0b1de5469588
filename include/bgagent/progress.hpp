// SPDX-License-Identifier: MIT
// bgagent/progress.hpp: the former path of bgagent/core/progress.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/core/progress.hpp>
#pragma once

#pragma GCC warning "bgagent/progress.hpp moved to bgagent/core/progress.hpp"

#include <bgagent/core/progress.hpp>
