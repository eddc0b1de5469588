// SPDX-License-Identifier: MIT
// tests/catch.hpp: one include for Catch2 v2 (Debian's, single header) and v3 (fetched).
#pragma once

#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
#elif __has_include(<catch2/catch.hpp>)
#include <catch2/catch.hpp>
#else
#error "Catch2 not found: run scripts/deps.sh --tests, or let CMake fetch it"
#endif
