// SPDX-License-Identifier: MIT
// bgagent/sequence.hpp: the former path of bgagent/combinators/sequence.hpp, kept for one release.
// IWYU pragma: private, include <bgagent/combinators/sequence.hpp>
#pragma once

#pragma GCC warning "bgagent/sequence.hpp moved to bgagent/combinators/sequence.hpp"

#include <bgagent/combinators/sequence.hpp>
