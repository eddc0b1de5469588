// SPDX-License-Identifier: MIT
// bgagent/output_file.hpp: the former path of bgagent/protocol/output_file.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/protocol/output_file.hpp>
#pragma once

#pragma GCC warning "bgagent/output_file.hpp moved to bgagent/protocol/output_file.hpp"

#include <bgagent/protocol/output_file.hpp>
