#!/bin/sh
# SPDX-License-Identifier: MIT
# Every source, script and CMake file of the tree names its license (MIT, LICENSE at the root)
# in its first three lines. Prints each file that does not and fails if any.
#   tests/lint/spdx.sh <source dir>
set -eu
cd "$1"
missing=$(find . -path ./build -prune -o -path ./.git -prune -o -path ./tests/fuzz/corpus -prune \
  -o -path ./tests/data -prune -o -type f \( -name '*.hpp' -o -name '*.cpp' -o -name '*.sh' \
  -o -name '*.cmake' -o -name '*.cmake.in' -o -name CMakeLists.txt -o -path ./.ci/run \) \
  -print | sort | while read -r file; do
    head -n 3 "$file" | grep -q 'SPDX-License-Identifier: MIT' || echo "$file"
  done)
if [ -n "$missing" ]; then
  echo "no 'SPDX-License-Identifier: MIT' in the first three lines of:"
  echo "$missing"
  exit 1
fi
echo "every file names its license"
