#!/bin/sh
# SPDX-License-Identifier: MIT
# Compiled mode builds only the bodies src/bgagent.cpp reaches: every `_inl.hpp` under
# include/bgagent must be in its include closure, or its functions would be declared and never
# defined. Prints each file that is not reached and fails if any.
#   tests/lint/bodies_reached.sh <source dir> <c++ compiler> [-I<dir>...]
set -eu
source_dir=$1
cxx=$2
shift 2
cd "$source_dir"
reached=$("$cxx" -std=c++20 -Iinclude "$@" -DBGAGENT_COMPILED_LIB -M src/bgagent.cpp |
  tr ' \\' '\n\n' | grep '_inl\.hpp$' | sed 's|.*include/bgagent/|include/bgagent/|' | sort -u)
missing=$(find include/bgagent -name '*_inl.hpp' | sort | while read -r file; do
    echo "$reached" | grep -qx "$file" || echo "$file"
  done)
if [ -n "$missing" ]; then
  echo "bodies that src/bgagent.cpp does not reach (compiled mode would not define them):"
  echo "$missing"
  exit 1
fi
echo "src/bgagent.cpp reaches all $(echo "$reached" | wc -l) bodies"
