#!/bin/sh
# SPDX-License-Identifier: MIT
# A stand-in for an AI exploration agent CLI: `explore-agent.sh --topic DIRECTORY` explores a
# directory and reports what it found in the output-file protocol, on stdout. bgagent writes the
# START and COMPLETE records around it.
[ "$1" = "--topic" ] && [ -d "$2" ] || { echo "[ERROR] usage: explore-agent.sh --topic DIRECTORY"; exit 2; }
topic=$2
echo "[PROGRESS] 1/3 listing $topic"
files=$(find "$topic" -maxdepth 2 -type f 2>/dev/null | wc -l)
echo "[PROGRESS] 2/3 measuring"
bytes=$(find "$topic" -maxdepth 2 -type f -printf '%s\n' 2>/dev/null | awk '{ total += $1 } END { print total + 0 }')
echo "[PROGRESS] 3/3 finding the largest file"
largest=$(find "$topic" -maxdepth 2 -type f -printf '%s %f\n' 2>/dev/null | sort -n | tail -1 | cut -d' ' -f2)
printf '[RESULT] {"success": true, "topic": "%s", "files": %d, "bytes": %d, "largest": "%s"}\n' \
  "$topic" "$files" "$bytes" "$largest"
