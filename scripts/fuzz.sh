#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the parser's libFuzzer target (tests/fuzz) for a fixed budget on a scratch copy of the
# committed corpus, as CI does. A crash fails the run and its input is kept in
# build/fuzz/crashers/, to be named for what it found and committed to tests/fuzz/corpus/
# (tests/fuzz/README.md), where every normal build replays it.
#   scripts/fuzz.sh [seconds]    the budget, 60 by default; needs clang and libclang-rt-14-dev
#                                (scripts/deps.sh --tests)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DBGAGENT_BUILD_FUZZ=ON \
  -DBGAGENT_BUILD_TESTS=OFF -DBGAGENT_BUILD_EXAMPLES=OFF > /dev/null
cmake --build build/fuzz

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp tests/fuzz/corpus/* "$corpus/"
crashers=build/fuzz/crashers
mkdir -p "$crashers"
log=build/fuzz/last-run.log
status=0
build/fuzz/tests/fuzz/bgagent_parser_fuzz -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -artifact_prefix="$crashers/" -print_final_stats=1 "$corpus" > "$log" 2>&1 || status=$?
if [[ $status -ne 0 ]]; then
  tail -n 40 "$log"
  echo "fuzz: the parser's oracle failed (exit $status); the input is in $crashers/:" \
       "name it for what it found and add it to tests/fuzz/corpus/ (tests/fuzz/README.md)" >&2
  exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
echo "fuzz: ${runs:-?} inputs in ${seconds} s, no invariant broken" \
     "(corpus $(ls tests/fuzz/corpus | wc -l) committed, $(ls "$corpus" | wc -l) after the run)"
