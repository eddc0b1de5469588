// SPDX-License-Identifier: MIT
// The one source file of compiled mode (CMake option BGAGENT_COMPILED, target
// bgagent::compiled): every non-template function of bgagent is defined here, once, so the
// programs that link the library compile declarations only. Header-only builds (the default,
// bgagent::bgagent) never compile this file.
#if !defined(BGAGENT_COMPILED_LIB)
#error "src/bgagent.cpp is compiled mode's library: build it with BGAGENT_COMPILED_LIB defined"
#endif
#define BGAGENT_BUILDING_LIB

#include <bgagent/bgagent.hpp>
