#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Measures what including bgagent costs a build and prints one markdown section (explained in
# benchmarks/README.md; the latest figures go in docs/benchmarks.md):
# - the bgagent headers that launch_options.hpp, dashboard_table.hpp and the umbrella pull in,
#   and the epoll, inotify or spawn headers task.hpp reaches (closures from `$CXX -M`); the
#   three headers are found by name with `find`, so they may move within include/bgagent;
# - `#include <bgagent/...>` lines that go up the layer folders (core, protocol, runtime, agents,
#   combinators, monitor: each may include itself and the ones before it), and those from a
#   folder's detail/ to a public header of the same folder (which detail/ serves, never includes);
# - `-fsyntax-only` CPU time (user + sys, fastest run) and peak memory of the umbrella (header-only
#   and compiled mode) and of every examples/*/*.cpp, beside a baseline TU: <nlohmann/json.hpp>
#   plus each system header that the umbrella's bgagent headers name directly;
# - whether compiled mode's closure reaches a function body (an `_inl.hpp`);
# - the CPU time of a full -O2 build of examples/06_deployment in both modes, and of the
#   compiled library itself.
#   benchmarks/compile_cost.sh
# Environment: CXX (g++), BGAGENT_COMPILE_REPETITIONS (5, syntax-only runs),
# BGAGENT_BUILD_REPETITIONS (3, -O2 builds). Needs a C++20 compiler and
# nlohmann_json; GNU time (/usr/bin/time) for peak memory, optional. Exits 0 when targets are
# missed (it is a measurement), non-zero only when a tool fails (e.g. a header does not compile).
set -euo pipefail
shopt -s inherit_errexit nullglob
[[ $# -eq 0 ]] || { echo "usage: benchmarks/compile_cost.sh" >&2; exit 2; }

cd "$(dirname "${BASH_SOURCE[0]}")/.."
cxx="${CXX:-g++}"
repetitions="${BGAGENT_COMPILE_REPETITIONS:-5}"
build_repetitions="${BGAGENT_BUILD_REPETITIONS:-3}"
flags=(-std=c++20 -Iinclude)  # what the bgagent CMake target gives its users
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[[ -x /usr/bin/time ]] && gnu_time=/usr/bin/time || gnu_time=""
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# The include name (bgagent/<layer>/...) of the one file called $1 in a layer folder (the
# files at the top are the umbrella and the former paths, which forward).
find_header() {
  local matches
  mapfile -t matches < <(find include/bgagent -mindepth 2 -type f -name "$1" | sort)
  if [[ ${#matches[@]} -ne 1 ]]; then
    echo "compile_cost.sh: ${#matches[@]} files named $1 under include/bgagent" >&2
    exit 1
  fi
  echo "${matches[0]#include/}"
}

# Every file a TU including <$1> reads (more compiler flags after it), one per line: -M, not
# -MM, so system headers are listed too; paths in the tree relative to it, the others absolute.
deps() {
  local header=$1
  shift
  echo "#include <$header>" | "$cxx" "${flags[@]}" "$@" -x c++ -M - \
    | awk '{ for (i = 1; i <= NF; i++) if ($i != "\\" && $i !~ /:$/) print $i }' \
    | xargs realpath -m --relative-base=. | sort -u
}

# The bgagent headers in the closure of <$1> (more compiler flags after it), itself excluded.
closure() { deps "$@" | awk -v self="include/$1" '/^include\/bgagent\// && $0 != self'; }

# The -D flags of an example's target_compile_definitions (NAME=value entries, with
# ${CMAKE_CURRENT_SOURCE_DIR} replaced): some examples do not compile without them.
example_defines() {
  local dir
  dir=$(dirname "$1")
  [[ -f "$dir/CMakeLists.txt" ]] || return 0
  awk -v dir="$PWD/$dir" '/target_compile_definitions/ { inside = 1 }
    inside { for (i = 1; i <= NF; i++) if ($i ~ /^[A-Za-z_][A-Za-z0-9_]*=/) {
      value = $i; gsub(/\$\{CMAKE_CURRENT_SOURCE_DIR\}/, dir, value); sub(/\)$/, "", value)
      print "-D" value } }
    inside && /\)/ { inside = 0 }' "$dir/CMakeLists.txt"
}

# One compilation with the flags after the name (-fsyntax-only or -O2 -c, then the TU and its
# own flags): appends "<CPU seconds> <peak KiB or ->" to $work/runs.<name>.
run_once() {
  local name=$1
  shift
  if [[ -n "$gnu_time" ]]; then
    "$gnu_time" -f '%U %S %M' -o "$work/time" "$cxx" "${flags[@]}" "$@"
  else  # bash's own timer: CPU time of the compiler, no memory figure
    { TIMEFORMAT='%U %S -'; time "$cxx" "${flags[@]}" "$@" 2>&3; } 3>&2 2>"$work/time"
  fi
  tail -1 "$work/time" | awk '{ print $1 + $2, $3 }' >>"$work/runs.$name"
}

# "<CPU seconds> <peak KiB or ->" of the fastest run of <name>. On a shared machine another
# tenant only adds time (the same compilation was seen to take 1.0x or ~1.45x, in phases), so
# the fastest run is the least disturbed; the figures of a table run in rounds (one of each per
# round), so each side meets the same phases.
result() { sort -g "$work/runs.$1" | head -1; }

# Sets <prefix>_cpu and <prefix>_mem to the fastest run of <name>. Assigned first: a failure
# inside `read <<<"$(...)"` would not stop the script.
take() {
  local figure
  figure=$(result "$1")
  read -r "$2_cpu" "$2_mem" <<<"$figure"
}

cell() { awk -v c="$1" -v m="$2" 'BEGIN { printf "%.2f s", c; if (m != "-") printf ", %.0f MiB", m / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
met() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t ? "yes" : "**no**") }'; }
joined() { paste -sd' ' | sed 's/ /, /g; s/^$/none/'; }

# 1-2. Include closures.
umbrella=bgagent/bgagent.hpp
launch_options=$(find_header launch_options.hpp)
dashboard_table=$(find_header dashboard_table.hpp)
task=$(find_header task.hpp)
closure "$umbrella" >"$work/closure.umbrella"
# Compiled mode: what a user of bgagent::compiled parses; no function bodies (no _inl.hpp).
compiled_flags=(-DBGAGENT_COMPILED_LIB)
closure "$umbrella" "${compiled_flags[@]}" >"$work/closure.compiled"
grep '_inl\.hpp$' "$work/closure.compiled" >"$work/compiled.bodies" || true
# Counted as headers: a header's bodies (its _inl.hpp, header-only mode) are part of it. Each
# closure is written first, so a header that fails to compile stops the script.
for name in launch_options dashboard_table; do
  closure "${!name}" >"$work/closure.$name.all"
  grep -v '_inl\.hpp$' "$work/closure.$name.all" >"$work/closure.$name" || true
done
# System sys/epoll.h, sys/inotify.h, spawn.h (not glibc's bits/ parts of them), and bgagent
# headers named after the same facilities (runtime/detail/spawn.hpp, runtime/detail/inotify_watch.hpp).
deps "$task" | awk '/\/sys\/(epoll|inotify)\.h$/ || (/\/spawn\.h$/ && !/\/bits\//) ||
  /^include\/bgagent\/(.*\/)?[^\/]*(epoll|inotify|spawn)[^\/]*$/' >"$work/task.forbidden"

# 3. Upward includes. The folders are layers, in this order; a header (its folder's detail/
# included) may include its own folder and the ones before it, never a later one nor a file at
# the top (the umbrella, the former paths).
layers="core protocol runtime agents combinators monitor"
find include/bgagent -mindepth 2 -type f -name '*.hpp' -exec awk -v layers="$layers" '
  BEGIN { n = split(layers, name, " "); for (i = 1; i <= n; i++) rank[name[i]] = i }
  FNR == 1 { split(FILENAME, from, "/"); own = rank[from[3]] }
  /^[ \t]*#[ \t]*include[ \t]*<bgagent\// {
    split($0, part, /[<>]/); split(part[2], to, "/")
    if (!(to[2] in rank) || rank[to[2]] > own) print FILENAME ":" FNR ": <" part[2] ">"
  }' {} + | sort -t: -k1,1 -k2,2n >"$work/upward"
# A folder's detail/ serves that folder's public headers and includes none of them ("own"); it
# may include the public vocabulary of an earlier layer, as its folder may ("down", counted for
# information; a later layer is an upward include, counted above). The folder is the path up to
# detail/, so a nested one (agents/slurm/detail/) is its own.
find include/bgagent -path '*/detail/*' -type f -name '*.hpp' -exec awk -v layers="$layers" '
  BEGIN { n = split(layers, name, " "); for (i = 1; i <= n; i++) rank[name[i]] = i }
  FNR == 1 {
    folder = FILENAME; sub(/^include\//, "", folder); sub(/\/detail\/.*$/, "", folder)
    split(folder, from, "/")
  }
  /^[ \t]*#[ \t]*include[ \t]*<bgagent\// {
    split($0, part, /[<>]/); target = part[2]
    if (target ~ /\/detail\//) next
    parent = target; sub(/\/[^\/]*$/, "", parent)
    split(target, to, "/")
    if (parent == folder) print "own " FILENAME ":" FNR ": <" target ">"
    else if ((to[2] in rank) && rank[to[2]] < rank[from[2]]) print "down " FILENAME ":" FNR ": <" target ">"
  }' {} + >"$work/detail_public"
sed -n 's/^own //p' "$work/detail_public" | sort -t: -k1,1 -k2,2n >"$work/detail_own"
sed -n 's/^down //p' "$work/detail_public" | sort -t: -k1,1 -k2,2n >"$work/detail_down"

# 4. Syntax-only time. The baseline: nlohmann plus each system header that a bgagent header
# of the umbrella's closure names itself (what a user of the same facilities pays anyway); in
# compiled mode, of the compiled closure.
baseline_for() {
  local files
  echo "#include <nlohmann/json.hpp>"
  mapfile -t files <"$1"
  awk '/^[ \t]*#[ \t]*include[ \t]*</ { split($0, part, /[<>]/); print part[2] }' \
    "include/$umbrella" "${files[@]}" \
    | awk '!/^(bgagent|nlohmann)\//' | sort -u | sed 's/.*/#include <&>/'
}
baseline_for "$work/closure.umbrella" >"$work/baseline.cpp"
baseline_for "$work/closure.compiled" >"$work/baseline_compiled.cpp"
echo "#include <$umbrella>" >"$work/umbrella.cpp"
echo "timing -fsyntax-only ($repetitions rounds)..." >&2
examples=(examples/*/*.cpp)
for ((round = 0; round < repetitions; round++)); do
  run_once baseline -fsyntax-only "$work/baseline.cpp"
  run_once umbrella -fsyntax-only "$work/umbrella.cpp"
  run_once baseline_compiled -fsyntax-only "$work/baseline_compiled.cpp"
  run_once umbrella_compiled -fsyntax-only "${compiled_flags[@]}" "$work/umbrella.cpp"
  index=0
  for example in "${examples[@]}"; do
    defines=()
    text=$(example_defines "$example")
    [[ -z "$text" ]] || mapfile -t defines <<<"$text"
    run_once "example$index" -fsyntax-only "$example" "${defines[@]}"
    index=$((index + 1))
  done
done
take baseline base
take umbrella umb
take baseline_compiled cbase
take umbrella_compiled cumb
for ((index = 0; index < ${#examples[@]}; index++)); do
  result "example$index" >>"$work/examples"
done

# 5. A full -O2 build of examples/06_deployment in both modes; in compiled mode the library
# (src/bgagent.cpp) is built once for every program that links it, shown apart.
deployment=examples/06_deployment/main.cpp
echo "timing -O2 builds ($build_repetitions rounds)..." >&2
for ((round = 0; round < build_repetitions; round++)); do
  run_once header_only -O2 -c -o "$work/object.o" "$deployment"
  run_once compiled -O2 -c -o "$work/object.o" "${compiled_flags[@]}" "$deployment"
  run_once library -O2 -c -o "$work/object.o" "${compiled_flags[@]}" src/bgagent.cpp
done
take header_only header_only
take compiled compiled
take library library
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# 6. The report.
count() { wc -l <"$1"; }
base_cell=$(cell "$base_cpu" "$base_mem")
echo "## bgagent compile cost: -fsyntax-only, fastest of $repetitions runs"
echo
echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), Linux $(uname -r)"
echo "- compiler: $("$cxx" --version | head -1), flags: ${flags[*]} -fsyntax-only"
echo "- tree: $(git describe --always --dirty 2>/dev/null || echo 'not a git checkout')"
echo "- time: CPU (user + sys) of the compiler, ${gnu_time:-bash TIMEFORMAT (no peak memory)}"
echo "- load average before / after: $load_before / $load_after"
echo "- baseline TU: <nlohmann/json.hpp> + $(($(count "$work/baseline.cpp") - 1)) system headers"
echo
echo "| figure | bgagent | baseline | ratio | target | met? |"
echo "|---|---|---|---|---|---|"
echo "| \`$umbrella\`, header-only | $(cell "$umb_cpu" "$umb_mem") | $base_cell | $(ratio "$umb_cpu" "$base_cpu") | <= 1.5x | $(met "$(ratio "$umb_cpu" "$base_cpu" | tr -d x)" 1.5) |"
echo "| \`$umbrella\`, compiled mode | $(cell "$cumb_cpu" "$cumb_mem") | $(cell "$cbase_cpu" "$cbase_mem") | $(ratio "$cumb_cpu" "$cbase_cpu") | <= 1.5x | $(met "$(ratio "$cumb_cpu" "$cbase_cpu" | tr -d x)" 1.5) |"
index=0
while read -r cpu mem; do
  echo "| \`${examples[index]}\` | $(cell "$cpu" "$mem") | $base_cell | $(ratio "$cpu" "$base_cpu") | — | info |"
  index=$((index + 1))
done <"$work/examples"
for name in launch_options dashboard_table; do
  header=${!name}
  echo "| bgagent headers included by \`$header\` | $(count "$work/closure.$name") | — | — | <= 6 | $(met "$(count "$work/closure.$name")" 6) |"
done
echo "| epoll / inotify / spawn headers reached by \`$task\` | $(sed -E 's|^/.*/include/([^/]*-linux-gnu/)?||; s|^include/||' "$work/task.forbidden" | joined) | — | — | none | $(met "$(count "$work/task.forbidden")" 0) |"
echo "| includes up the layers (core, protocol, runtime, agents, combinators, monitor) | $(count "$work/upward") | — | — | 0 | $(met "$(count "$work/upward")" 0) |"
echo "| includes from a \`detail/\` to a public header of its own folder | $(count "$work/detail_own") | — | — | 0 | $(met "$(count "$work/detail_own")" 0) |"
echo "| includes from a \`detail/\` to the public vocabulary of an earlier layer | $(count "$work/detail_down") | — | — | — | info |"
echo "| bgagent headers included by \`$umbrella\` | $(count "$work/closure.umbrella") | — | — | — | info |"
echo "| function bodies (\`_inl.hpp\`) reached in compiled mode | $(count "$work/compiled.bodies") | — | — | 0 | $(met "$(count "$work/compiled.bodies")" 0) |"
echo
echo "Compile (no link), \`-O2 -c\`, fastest of $build_repetitions runs:"
echo
echo "| figure | CPU, memory | ratio to header-only | target | met? |"
echo "|---|---|---|---|---|"
echo "| \`$deployment\`, header-only | $(cell "$header_only_cpu" "$header_only_mem") | 1.00x | — | — |"
echo "| \`$deployment\`, compiled mode | $(cell "$compiled_cpu" "$compiled_mem") | $(ratio "$compiled_cpu" "$header_only_cpu") | <= 0.5x | $(met "$(ratio "$compiled_cpu" "$header_only_cpu" | tr -d x)" 0.5) |"
echo "| \`src/bgagent.cpp\` (the library, built once) | $(cell "$library_cpu" "$library_mem") | $(ratio "$library_cpu" "$header_only_cpu") | — | info |"
echo
echo "ratio: bgagent CPU time / baseline CPU time (memory: peak RSS of the compiler in that run). The"
echo "compiled-mode baseline holds the system headers its smaller closure names."
echo
echo "- \`$launch_options\` includes: $(sed 's|^include/bgagent/||' "$work/closure.launch_options" | joined)"
echo "- \`$dashboard_table\` includes: $(sed 's|^include/bgagent/||' "$work/closure.dashboard_table" | joined)"
echo "  (each header's own \`_inl.hpp\`, its bodies in header-only mode, is not counted apart)"
echo "- upward includes:$([[ -s "$work/upward" ]] || echo ' none')"
sed 's/^/  - /' "$work/upward"
echo "- includes from a \`detail/\` to its own folder's public headers:$([[ -s "$work/detail_own" ]] || echo ' none')"
sed 's/^/  - /' "$work/detail_own"
echo "- baseline system headers: $(sed -n 's/^#include <\(.*\)>$/\1/p' "$work/baseline.cpp" | tail -n +2 | joined)"
