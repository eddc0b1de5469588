// SPDX-License-Identifier: MIT
// bgagent/cleanup_policy.hpp: the former path of bgagent/core/cleanup_policy.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/core/cleanup_policy.hpp>
#pragma once

#pragma GCC warning "bgagent/cleanup_policy.hpp moved to bgagent/core/cleanup_policy.hpp"

#include <bgagent/core/cleanup_policy.hpp>
