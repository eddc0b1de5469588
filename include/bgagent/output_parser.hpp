// SPDX-License-Identifier: MIT
// bgagent/output_parser.hpp: the former path of bgagent/protocol/output_parser.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/protocol/output_parser.hpp>
#pragma once

#pragma GCC warning "bgagent/output_parser.hpp moved to bgagent/protocol/output_parser.hpp"

#include <bgagent/protocol/output_parser.hpp>
