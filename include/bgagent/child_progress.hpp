// SPDX-License-Identifier: MIT
// bgagent/child_progress.hpp: the former path of bgagent/core/child_progress.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/core/child_progress.hpp>
#pragma once

#pragma GCC warning "bgagent/child_progress.hpp moved to bgagent/core/child_progress.hpp"

#include <bgagent/core/child_progress.hpp>
