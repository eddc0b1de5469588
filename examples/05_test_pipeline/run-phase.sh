#!/bin/sh
# SPDX-License-Identifier: MIT
# A stand-in test runner: `run-phase.sh PHASE COUNT [broken]` runs COUNT tests of one phase and
# reports in the output-file protocol on stdout; with `broken`, its last test fails.
phase=$1
count=$2
i=1
while [ "$i" -lt "$count" ]; do
  echo "test $phase.$i ... ok"
  echo "[PROGRESS] $i/$count $phase tests"
  i=$((i + 1))
done
if [ "$3" = broken ]; then
  echo "test $phase.$count ... FAILED: expected 200, got 500"
  printf '[RESULT] {"success": false, "phase": "%s", "passed": %d, "failed": 1, "error": "%s.%d failed"}\n' \
    "$phase" $((count - 1)) "$phase" "$count"
  exit 1
fi
echo "test $phase.$count ... ok"
printf '[RESULT] {"success": true, "phase": "%s", "passed": %d, "failed": 0}\n' "$phase" "$count"
