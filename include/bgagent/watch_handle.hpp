// SPDX-License-Identifier: MIT
// bgagent/watch_handle.hpp: the former path of bgagent/runtime/watch_handle.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/runtime/watch_handle.hpp>
#pragma once

#pragma GCC warning "bgagent/watch_handle.hpp moved to bgagent/runtime/watch_handle.hpp"

#include <bgagent/runtime/watch_handle.hpp>
