#!/bin/sh
# SPDX-License-Identifier: MIT
# Examples are templates users copy: they start, time out and stop agents with the library
# (launch, time limits, cancel), never by hand. Prints each example line that does it by hand.
#   tests/lint/examples_use_the_library.sh <source dir>
set -eu
cd "$1"
if grep -nE 'posix_spawn|(^|[^_a-z])(fork|kill|killpg|system|popen)\(|mkdtemp|waitpid' \
  examples/*/main.cpp; then
  echo "examples must start and stop agents through bgagent, not by hand"
  exit 1
fi
echo "every example starts and stops its agents through bgagent"
