#!/bin/sh
# SPDX-License-Identifier: MIT
# The CMake a user's build runs (the top-level CMakeLists.txt, cmake/, the tests' and the
# examples' CMakeLists) stays within CMake 3.22, what Ubuntu 22.04 ships. No CMake that old
# runs here, so this looks for what later versions added and the tree has used: FILE_SET (3.23),
# FIND_PACKAGE_ARGS and find_package(... GLOBAL) (3.24), block() and return(PROPAGATE) (3.25),
# $<LINK_LIBRARY>/$<LINK_GROUP> (3.24), an unguarded SYSTEM in FetchContent_Declare (3.25), a
# newer cmake_minimum_required. The presets and benchmarks/ (bgagent's own builds) ask for 3.25.
#   tests/lint/cmake_3_22.sh <source dir>
set -eu
cd "$1"
files=$(find CMakeLists.txt cmake tests examples -path tests/fuzz/corpus -prune -o -type f \
  \( -name CMakeLists.txt -o -name '*.cmake' -o -name '*.cmake.in' \) -print | sort)
# shellcheck disable=SC2086
found=$(grep -nE 'FILE_SET|FIND_PACKAGE_ARGS|^[[:space:]]*block[[:space:]]*\(|PROPAGATE|\$<LINK_(LIBRARY|GROUP)|find_package\([^)]*GLOBAL|FetchContent_Declare\([A-Za-z0-9_]+ SYSTEM|cmake_minimum_required\(VERSION 3\.(2[3-9]|[3-9][0-9])' \
  $files /dev/null || true)
if [ -n "$found" ]; then
  echo "newer than CMake 3.22:"
  echo "$found"
  exit 1
fi
echo "$(echo "$files" | wc -l) CMake files within 3.22"
