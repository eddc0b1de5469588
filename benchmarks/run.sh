#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the `bench` preset, runs every benchmark binary and prints one markdown table: each
# bgagent figure beside the baseline measured in the same run, their ratio and the target
# (benchmarks/README.md explains the pairing and the arithmetic).
#   benchmarks/run.sh              wall-clock medians of BGAGENT_BENCH_REPETITIONS runs (5)
#   benchmarks/run.sh --callgrind  instruction counts of the parser benchmarks: repeatable
# Environment: BGAGENT_BENCH_REPETITIONS (5), BGAGENT_BENCH_FILTER (a --benchmark_filter
# regex, default all), TMPDIR (where the benchmarks put their files, default /tmp).
# Needs: cmake, ninja, a C++20 compiler, Google Benchmark (scripts/deps.sh --bench), python3;
# valgrind for --callgrind.
set -euo pipefail

mode=wallclock
case "${1:-}" in
  "") ;;
  --callgrind) mode=callgrind ;;
  *) echo "usage: benchmarks/run.sh [--callgrind]" >&2; exit 2 ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=build/bench
results="$build/results"
repetitions="${BGAGENT_BENCH_REPETITIONS:-5}"
filter="${BGAGENT_BENCH_FILTER:-.}"

# -j1: a handful of translation units, and on a small shared machine a parallel build only
# competes with whatever else runs there.
cmake --preset bench >/dev/null
cmake --build --preset bench -j1 >&2
mapfile -t binaries < <(find "$build/benchmarks" -maxdepth 1 -type f -name '*_bench' -perm -u+x | sort)
if [[ ${#binaries[@]} -eq 0 ]]; then
  echo "benchmarks/run.sh: no *_bench binary under $build/benchmarks" >&2
  exit 1
fi

cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
benchmark_dir=$(sed -n 's/^benchmark_DIR:PATH=//p' "$build/CMakeCache.txt")
benchmark_version=$(sed -n 's/^set(PACKAGE_VERSION "\(.*\)")$/\1/p' \
  "$benchmark_dir/benchmarkConfigVersion.cmake" 2>/dev/null || true)
tmp_dir="${TMPDIR:-/tmp}"

print_machine() {
  echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
    "Linux $(uname -r)"
  echo "- compiler: $("$cxx" --version | head -1) (CMAKE_BUILD_TYPE=Release: -O3 -DNDEBUG)"
  echo "- Google Benchmark: ${benchmark_version:-fetched v1.8.3} ($benchmark_dir)"
  echo "- files under $tmp_dir: $(df -PT "$tmp_dir" | awk 'NR == 2 { print $2 }') filesystem"
}

if [[ "$mode" == callgrind ]]; then
  command -v valgrind >/dev/null || { echo "benchmarks/run.sh: --callgrind needs valgrind" >&2; exit 1; }
  results="$results/callgrind"
  rm -rf "$results"
  mkdir -p "$results"
  parse_bench="$build/benchmarks/parse_bench"
  mapfile -t names < <("$parse_bench" --benchmark_list_tests --benchmark_filter='^parse_')
  index=0
  for name in "${names[@]}"; do
    index=$((index + 1))
    base="${name%/real_time}"
    # Exactly one call of the benchmark function with one iteration (min_time 0), and only
    # that call is counted (--toggle-collect), so the corpus generation is left out.
    regex="^$(printf '%s' "$name" | sed 's/[][().*+?^$|\\]/\\&/g')\$"
    echo "callgrind: $base" >&2
    valgrind --tool=callgrind --callgrind-out-file="$results/callgrind.$index" \
      --toggle-collect='*LambdaBenchmark*Run*' \
      "$parse_bench" --benchmark_filter="$regex" --benchmark_min_time=0 \
      --benchmark_format=json >"$results/callgrind.$index.json" 2>"$results/callgrind.$index.log"
  done
  echo "## Parser instruction counts (callgrind)"
  echo
  print_machine
  echo
  python3 - "$results" "${#names[@]}" <<'PY'
import json, re, subprocess, sys

results, count = sys.argv[1], int(sys.argv[2])
rows = {}
for index in range(1, count + 1):
    with open(f"{results}/callgrind.{index}.json") as handle:
        run = json.load(handle)["benchmarks"][0]
    total = 0
    with open(f"{results}/callgrind.{index}") as handle:
        for line in handle:
            if line.startswith("summary:") or line.startswith("totals:"):
                total = max(total, int(line.split()[1]))
    name = re.sub(r"/(real_time|manual_time)$", "", run["run_name"])
    per_iteration = total / run["iterations"]
    top = subprocess.run(["callgrind_annotate", "--inclusive=no", f"{results}/callgrind.{index}"],
                         capture_output=True, text=True, check=True).stdout
    functions = []
    for line in top.splitlines():
        match = re.match(r"\s*([\d,]+) \(\s*([\d.]+)%\)\s+(\S.*)$", line)
        if match and "PROGRAM TOTALS" not in line and len(functions) < 5:
            where = re.sub(r" \[.*\]$", "", match.group(3))
            where = re.sub(r"^(\?\?\?|\S+\.(S|c|h|cc|cpp|hpp|tcc)):", "", where)
            where = where.replace("(anonymous namespace)", "{anonymous}").split("(")[0]
            functions.append(f"{match.group(2)}% {where}")
    rows[name] = (per_iteration, per_iteration / run["file_bytes"], functions)

print("| benchmark | bgagent Ir/byte | baseline Ir/byte | ratio (baseline Ir / bgagent Ir) |")
print("|---|---|---|---|")
for name, (ir, per_byte, _) in rows.items():
    case, role = name.rsplit("/", 1)
    if not role.startswith("bgagent"):
        continue
    for other, (base_ir, base_per_byte, _) in rows.items():
        if other.startswith(case + "/baseline"):
            print(f"| {case} | {per_byte:.2f} ({ir:,.0f} per iteration) | {base_per_byte:.2f} "
                  f"({other.split(':', 1)[1]}) | {base_ir / ir:.2f}x |")
print()
for name, (_, _, functions) in rows.items():
    print(f"- `{name}`, self cost: " + "; ".join(functions))
PY
  exit 0
fi

mkdir -p "$results"
rm -f "$results"/*.json
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for binary in "${binaries[@]}"; do
  echo "running $(basename "$binary") ($repetitions repetitions)..." >&2
  "$binary" --benchmark_format=json --benchmark_repetitions="$repetitions" \
    --benchmark_report_aggregates_only=true --benchmark_filter="$filter" \
    >"$results/$(basename "$binary").json"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo "## bgagent benchmarks: medians of $repetitions repetitions"
echo
print_machine
echo "- load average before / after: $load_before / $load_after"
echo
python3 - "$results"/*.json <<'PY'
import json, math, re, sys

UNITS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

def time_text(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


runs = {}  # run name without its /real_time or /manual_time suffix -> median figures
errors = []
notes = []  # info_* counters, printed under the table
for path in sys.argv[1:]:
    with open(path) as handle:
        text = handle.read()
    if not text.strip():
        continue  # BGAGENT_BENCH_FILTER matched nothing in this binary
    for entry in json.loads(text)["benchmarks"]:
            name = re.sub(r"(/iterations:\d+)?/(real_time|manual_time)$", "", entry["run_name"])
            if entry.get("error_occurred"):
                errors.append(f"{name}: {entry.get('error_message', 'error')}")
            if entry.get("run_type") != "aggregate" or entry.get("aggregate_name") != "median":
                continue
            scale = UNITS[entry["time_unit"]]
            run = {
                "real": entry["real_time"] * scale,
                "cpu": None if entry["run_name"].endswith("/manual_time") else entry["cpu_time"] * scale,
                "bps": entry.get("bytes_per_second"),
                "ips": entry.get("items_per_second"),
                "label": entry.get("label", ""),
                "lines": entry.get("lines"),
                "bytes": entry.get("file_bytes"),
            }
            for key, value in entry.items():
                if key.startswith("info_"):
                    shown = time_text(value) if key.endswith("_ns") else f"{value:,.6g}"
                    notes.append(f"`{name}`: {re.sub(r'_ns$', '', key[5:])} = {shown}")
            # Counters at_<what>_ns / at_<what>_bytes are figures of their own (a median and a
            # p99 from one set of trials, three measures of one scale run): each becomes the run
            # `<case> <what>/<side>:<name>`.
            split_off = [(match.group(1), match.group(2), value) for key, value in entry.items()
                         if (match := re.fullmatch(r"at_(\w+?)_(ns|bytes)", key))]
            if not split_off:
                runs[name] = run
            case, _, role = name.rpartition("/")
            for what, unit, value in split_off:
                runs[f"{case} {what}/{role}"] = dict(
                    run, real=value if unit == "ns" else None, cpu=None, ips=None,
                    value_bytes=value if unit == "bytes" else None, sub=what)


def split(name):
    case, role = name.rsplit("/", 1)
    side, _, what = role.partition(":")
    return case, side, what


def time_text(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def figure(run, metric):
    if metric == "bytes":
        return f"{run['value_bytes']:,.0f} bytes"
    if metric == "rate":
        return f"{run['ips']:,.0f} jobs/s ({time_text(run['real'])} in all)"
    if metric == "throughput":
        bps = run["bps"]
        text = f"{bps / 2**30:.2f} GiB/s" if bps >= 2**30 else f"{bps / 2**20:.0f} MiB/s"
        if run.get("lines"):
            text += f" ({time_text(run['real'] / run['lines'])}/line)"
        return text
    text = time_text(run["real"])
    if run.get("lines"):
        text += f" ({time_text(run['real'] / run['lines'])}/line)"
    return text


def ratios(ours, theirs, metric):
    if metric == "bytes":
        return ours["value_bytes"] / theirs["value_bytes"], None
    if metric == "rate":
        return ours["ips"] / theirs["ips"], None
    if metric == "throughput":
        real = ours["bps"] / theirs["bps"]
        cpu = theirs["cpu"] / ours["cpu"] if ours["cpu"] and theirs["cpu"] else None
    else:
        real = ours["real"] / theirs["real"]
        cpu = ours["cpu"] / theirs["cpu"] if ours["cpu"] and theirs["cpu"] else None
    return real, cpu


def verdict(ratio, target, ours=None):
    if not target:
        return "info"
    op, value, unit = target
    if unit != "x":  # an absolute target on the bgagent figure itself
        ratio = ours["real"] if ours else None
        value = value * UNITS[unit]
    if ratio is None:
        return "info"
    met = ratio >= value if op == ">=" else ratio <= value
    if met:
        return "yes"
    short = value / ratio if op == ">=" else ratio / value
    return f"**no** ({short:.2f}x short)"


def target_text(target):
    if not target:
        return "—"
    op, value, unit = target
    return f"{op} {value:g}x" if unit == "x" else f"{op} {value:g} {unit.replace('us', 'µs')}"


def parse_target(label, sub):
    """`target [<sub>] <op> <number><unit>` from a baseline's label; unit x (a ratio) or a time."""
    for match in re.finditer(r"target (?:([a-z]\w*) )?([<>]=) ([\d.]+) ?(x|ns|us|ms|s)", label):
        if match.group(1) in (None, sub):
            return (match.group(2), float(match.group(3)), match.group(4))
    return None


def ratio_text(ratio):
    if ratio is None:
        return "—"
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.2g}x"


rows = []


def add(case, ours_what, ours, theirs_what, theirs, metric, target, note=""):
    real, cpu = ratios(ours, theirs, metric) if ours else (None, None)
    rows.append((
        case + note,
        f"{ours_what}: {figure(ours, metric)}" if ours else "—",
        f"{theirs_what}: {figure(theirs, metric)}",
        ratio_text(real),
        ratio_text(cpu),
        target_text(target),
        verdict(real, target, ours) if ours else "info",
    ))


for name, run in runs.items():
    case, side, what = split(name)
    if side != "baseline":
        continue
    label = run["label"]
    metric = label.split(";")[0].strip()
    if run.get("value_bytes") is not None:
        metric = "bytes"
    elif run.get("sub") or metric not in ("throughput", "rate"):
        metric = "time"
    target = parse_target(label, run.get("sub"))
    ours = [(split(n)[2], r) for n, r in runs.items() if split(n)[:2] == (case, "bgagent")]
    if ours:
        add(case, ours[0][0], ours[0][1], what, run, metric, target)
    else:
        add(case, "", None, what, run, metric, None)

# Derived rows, from the figures above.
naive = sorted((r["bytes"], r["real"]) for n, r in runs.items()
               if split(n)[1:] == ("baseline", "naive reread per line") and r.get("bytes"))
grow = runs.get("grow_10MB/bgagent:write+readAppended per line")
if naive and grow:
    # The re-reads dominate and grow with the square of the file: scale the largest measured
    # size by (10 MB / N)^2. The exponent measured between the two sizes says how well that
    # holds (2 is exactly quadratic; above 2, this underestimates).
    n2, t2 = naive[-1]
    n = grow["bytes"]
    what = f"naive reread per line (EXTRAPOLATED x{(n / n2) ** 2:g} from the {n2 / 1e6:g} MB run"
    if len(naive) >= 2:
        n1, t1 = naive[-2]
        exponent = math.log(t2 / t1) / math.log(n2 / n1)
        what += f"; exponent measured from {n1 / 1e6:g} to {n2 / 1e6:g} MB: {exponent:.2f}"
    what += ")"
    extrapolated = {"real": t2 * (n / n2) ** 2, "cpu": None, "lines": grow["lines"]}
    add("grow_10MB", "write+readAppended per line", grow, what, extrapolated, "time", None)
write_only = runs.get("grow_10MB/baseline:write only")
pread_floor = runs.get("grow_10MB/baseline:write+pread per line (no parse)")
read_once = runs.get("grow_10MB/baseline:write all+read once")
if pread_floor and read_once:
    # What any reader that polls after every line pays, whatever its parser costs: compare it
    # with the target of the bgagent row.
    add("grow_10MB", "FLOOR, not bgagent: write+pread per line (no parse)", pread_floor,
        "write all+read once", read_once, "time", None)
if grow and write_only and pread_floor:
    def minus(run):
        return {"real": run["real"] - write_only["real"], "cpu": None, "lines": run["lines"]}
    add("grow_10MB_polling_only", "readAppended per line, BY SUBTRACTION of write only",
        minus(grow), "pread per line (no parse), by subtraction of write only",
        minus(pread_floor), "time", None)

# The seed's wait: sleep 5 s, re-read. A write lands at a uniformly random phase of the
# interval, so the wait after it is uniform on [0, 5 s]: median 2.5 s, p99 4.95 s (ANALYTIC,
# not measured; the 1 ms and 10 ms rows above measure the same law at shorter intervals).
for sub, seconds in (("median", 2.5), ("p99", 4.95)):
    for name, run in runs.items():
        case, side, what = split(name)
        if (case, side) == (f"completion_latency {sub}", "bgagent"):
            add(case, what, run, f"seed's poll every 5 s, ANALYTIC (uniform phase: {sub} {seconds:g} s)",
                {"real": seconds * 1e9, "cpu": None}, "time", None)

# Rows of one case together, cases in the order the benchmarks ran.
order = list(dict.fromkeys(split(name)[0] for name in runs))
rows.sort(key=lambda row: order.index(row[0]) if row[0] in order else len(order))

print("| benchmark | bgagent | baseline | ratio | CPU-time ratio | target | met? |")
print("|---|---|---|---|---|---|---|")
for row in rows:
    print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
print()
print("ratio: bgagent / baseline for times and bytes, bgagent / baseline throughput for GiB/s and "
      "jobs/s rows (higher is better there); CPU-time ratio: the same from CPU time, a cross-check "
      "when the machine is busy (— for manual-time rows). /line: the total over the lines of the "
      "file. A target with a unit (µs, ms) is on the bgagent figure itself, not on the ratio.")
if notes:
    print()
    print("Counters (medians of the repetitions):")
    print()
    for note in notes:
        print(f"- {note}")
if errors:
    print()
    print("ERRORS: " + "; ".join(sorted(set(errors))))
    sys.exit(1)
PY
