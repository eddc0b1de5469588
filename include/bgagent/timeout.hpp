// bgagent/timeout.hpp: the former name of bgagent/time_limit.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/time_limit.hpp>
