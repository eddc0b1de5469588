#!/bin/sh
# SPDX-License-Identifier: MIT
# A stand-in for an agent behind an unreliable service: `flaky-agent.sh COUNTER FAILURES` fails
# its first FAILURES runs (counted in the file COUNTER), then succeeds.
counter=$1
failures=$2
runs=$(( $(cat "$counter" 2>/dev/null || echo 0) + 1 ))
echo "$runs" > "$counter"
if [ "$runs" -le "$failures" ]; then
  echo "[ERROR] service unavailable (run $runs)"
  exit 1
fi
printf '[RESULT] {"success": true, "summary": "12 files changed", "runs": %d}\n' "$runs"
