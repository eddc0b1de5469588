// SPDX-License-Identifier: MIT
// bgagent/output_writer.hpp: the former path of bgagent/protocol/output_writer.hpp, kept for one
// release.
// IWYU pragma: private, include <bgagent/protocol/output_writer.hpp>
#pragma once

#pragma GCC warning "bgagent/output_writer.hpp moved to bgagent/protocol/output_writer.hpp"

#include <bgagent/protocol/output_writer.hpp>
