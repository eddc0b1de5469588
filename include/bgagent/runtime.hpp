// SPDX-License-Identifier: MIT
// bgagent/runtime.hpp: the former path of bgagent/runtime/runtime.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/runtime/runtime.hpp>
#pragma once

#pragma GCC warning "bgagent/runtime.hpp moved to bgagent/runtime/runtime.hpp"

#include <bgagent/runtime/runtime.hpp>
