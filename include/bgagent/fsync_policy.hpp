// SPDX-License-Identifier: MIT
// bgagent/fsync_policy.hpp: the former path of bgagent/core/fsync_policy.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/core/fsync_policy.hpp>
#pragma once

#pragma GCC warning "bgagent/fsync_policy.hpp moved to bgagent/core/fsync_policy.hpp"

#include <bgagent/core/fsync_policy.hpp>
