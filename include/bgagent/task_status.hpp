// SPDX-License-Identifier: MIT
// bgagent/task_status.hpp: the former home of a task's status, now bgagent::Status in
// bgagent/core/status.hpp; kept for one release with the deprecated aliases.
// IWYU pragma: private, include <bgagent/core/status.hpp>
#pragma once

#pragma GCC warning "bgagent/task_status.hpp moved to bgagent/core/status.hpp"

#include <bgagent/core/status.hpp>
