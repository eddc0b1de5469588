#!/bin/sh
# SPDX-License-Identifier: MIT
# Presses Ctrl-C in a real terminal (a tmux pane) while the dashboard example shows an agent that
# never ends, and checks what users expect: the cursor is visible again, every agent was
# cancelled and its process is gone, and the program ended as Ctrl-C ends it (status 130).
# Usage: dashboard_ctrl_c_in_tmux.sh path/to/dashboard
set -eu
example=$1
command -v tmux >/dev/null || { echo "tmux is not installed (scripts/deps.sh --tests)"; exit 1; }
socket="bgagent-dashboard-ctrl-c-$$"
work=$(mktemp -d)
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM
events="$work/events.jsonl"
# The pane's shell traps SIGINT (a trap, not an ignore: the example gets the default back), so it
# lives on to report the example's status and signal the test's channel.
tmux -L "$socket" -f /dev/null new-session -d -s dashboard -x 100 -y 30 \
  "trap true INT; TERM=xterm-256color '$example' --endless --events '$events'; echo \"example exit status \$?\"; tmux -L '$socket' wait-for -S example-done; sleep 600"
# Nothing announces "the table is on screen" but the screen itself: look at it every 100 ms,
# for at most 20 s, until the endless agent is shown running.
tries=0
until tmux -L "$socket" capture-pane -p -t dashboard | grep -q '^watch mode  *Running'; do
  tries=$((tries + 1))
  [ "$tries" -lt 200 ] || { echo "FAIL: the endless agent was never shown running"; exit 1; }
  sleep 0.1
done
[ "$(tmux -L "$socket" display-message -p -t dashboard '#{cursor_flag}')" = 0 ] ||
  { echo "FAIL: the cursor is not hidden while the table is live"; exit 1; }
tmux -L "$socket" send-keys -t dashboard C-c
timeout 30 tmux -L "$socket" wait-for example-done ||
  { echo "FAIL: the example did not end within 30 s of Ctrl-C"; exit 1; }
screen=$(tmux -L "$socket" capture-pane -p -t dashboard)
printf '%s\n' "$screen"
printf '%s\n' "$screen" | grep -q '^example exit status 130$' ||
  { echo "FAIL: the example did not end as Ctrl-C ends a program (status 130)"; exit 1; }
[ "$(tmux -L "$socket" display-message -p -t dashboard '#{cursor_flag}')" = 1 ] ||
  { echo "FAIL: the cursor was left hidden"; exit 1; }
printf '%s\n' "$screen" | grep -q '^watch mode  *Cancelled' ||
  { echo "FAIL: the endless agent is not shown Cancelled"; exit 1; }
grep -q '"name":"watch mode","event":"cancelRequested"' "$events" ||
  { echo "FAIL: no cancelRequested in the event log"; exit 1; }
grep -q '"name":"watch mode","event":"settled".*"status":"Cancelled"' "$events" ||
  { echo "FAIL: the endless agent did not settle Cancelled in the event log"; exit 1; }
# Every agent the log saw killed is gone, its whole process group (the loop's sleep) with it.
for pid in $(sed -n 's/.*"event":"killed".*"pid":\([0-9]*\).*/\1/p' "$events"); do
  if kill -0 -- "-$pid" 2>/dev/null; then echo "FAIL: agent group $pid outlived Ctrl-C"; exit 1; fi
done
grep -q '"event":"killed"' "$events" || { echo "FAIL: no agent was killed"; exit 1; }
echo "PASS: Ctrl-C cancelled every agent, the cursor is back, status 130"
