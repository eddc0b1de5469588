// SPDX-License-Identifier: MIT
// bgagent/protocol.hpp: the former path of bgagent/protocol/protocol.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/protocol/protocol.hpp>
#pragma once

#pragma GCC warning "bgagent/protocol.hpp moved to bgagent/protocol/protocol.hpp"

#include <bgagent/protocol/protocol.hpp>
