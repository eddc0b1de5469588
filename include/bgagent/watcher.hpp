// SPDX-License-Identifier: MIT
// bgagent/watcher.hpp: the former path of bgagent/runtime/watcher.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/runtime/watcher.hpp>
#pragma once

#pragma GCC warning "bgagent/watcher.hpp moved to bgagent/runtime/watcher.hpp"

#include <bgagent/runtime/watcher.hpp>
