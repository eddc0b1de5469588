// SPDX-License-Identifier: MIT
// bgagent/task_status.hpp: the old home of a task's status, now bgagent::Status (status.hpp);
// kept for one release with the deprecated aliases.
// Thread safety: a value type.
#pragma once

#include <bgagent/status.hpp>
