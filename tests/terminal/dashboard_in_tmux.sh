#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the dashboard example in a real terminal (a tmux pane, 100x30) and checks what the
# terminal shows once it has finished: the table drawn once (redrawn in place, not scrolled) and
# every agent settled. Usage: dashboard_in_tmux.sh path/to/dashboard
set -eu
example=$1
command -v tmux >/dev/null || { echo "tmux is not installed (scripts/deps.sh --tests)"; exit 1; }
socket="bgagent-dashboard-test-$$"
# The tmux server is a daemon: end it however this script ends, the example with it.
trap 'tmux -L "$socket" kill-server 2>/dev/null || true' EXIT INT TERM
# The pane signals a tmux channel when the example has exited; the test waits on that channel
# (an event, not a sleep), at most 50 s. The pane then stays open so its screen can be read.
tmux -L "$socket" -f /dev/null new-session -d -s dashboard -x 100 -y 30 \
  "TERM=xterm-256color '$example'; echo \"example exit status \$?\"; tmux -L '$socket' wait-for -S example-done; sleep 600"
timeout 50 tmux -L "$socket" wait-for example-done ||
  { echo "FAIL: the example did not finish within 50 s"; exit 1; }
screen=$(tmux -L "$socket" capture-pane -p -t dashboard)
scrolled=$(tmux -L "$socket" display-message -p -t dashboard '#{history_size}')
printf '%s\n' "$screen"
printf '%s\n' "$screen" | grep -q '^example exit status 0$' ||
  { echo "FAIL: the example did not exit with status 0"; exit 1; }
[ "$(tmux -L "$socket" display-message -p -t dashboard '#{cursor_flag}')" = 1 ] ||
  { echo "FAIL: the cursor was left hidden"; exit 1; }
# Redrawn in place: nothing scrolled off the top, and the header is on the screen once.
[ "$scrolled" -eq 0 ] || { echo "FAIL: $scrolled lines scrolled off the screen"; exit 1; }
headers=$(printf '%s\n' "$screen" | grep -c '^Agent  *Status  *Duration  *Progress' || true)
[ "$headers" -eq 1 ] || { echo "FAIL: the table header is on the screen $headers times"; exit 1; }
succeeded=$(printf '%s\n' "$screen" | grep -c 'Succeeded' || true)
[ "$succeeded" -eq 4 ] || { echo "FAIL: $succeeded of 4 agents shown Succeeded"; exit 1; }
printf '%s\n' "$screen" | grep -q '^4 agents: 0 running, 0 pending, 4 done, 0 failed' ||
  { echo "FAIL: no final summary with every agent settled"; exit 1; }
# The same terminal with TERM=dumb: plain lines, one per status change, no table drawn.
tmux -L "$socket" new-window -d -t dashboard -n dumb \
  "TERM=dumb '$example'; echo \"example exit status \$?\"; tmux -L '$socket' wait-for -S dumb-done; sleep 600"
timeout 50 tmux -L "$socket" wait-for dumb-done ||
  { echo "FAIL: the example did not finish within 50 s with TERM=dumb"; exit 1; }
dumb=$(tmux -L "$socket" capture-pane -p -t dashboard:dumb)
printf '%s\n' "$dumb"
printf '%s\n' "$dumb" | grep -q '^build: Succeeded after ' ||
  { echo "FAIL: no plain status line with TERM=dumb"; exit 1; }
if printf '%s\n' "$dumb" | grep -q '^Agent  *Status'; then
  echo "FAIL: a table was drawn with TERM=dumb"; exit 1
fi
echo "PASS: redrawn in place, every agent settled; plain lines with TERM=dumb"
