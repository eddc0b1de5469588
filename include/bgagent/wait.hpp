// SPDX-License-Identifier: MIT
// bgagent/wait.hpp: the former path of bgagent/runtime/wait.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/runtime/wait.hpp>
#pragma once

#pragma GCC warning "bgagent/wait.hpp moved to bgagent/runtime/wait.hpp"

#include <bgagent/runtime/wait.hpp>
