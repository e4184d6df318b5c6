#!/usr/bin/env bash
# Builds the kernel benchmark (Release), runs it once and prints a Markdown table per type:
# input MB/s of the reference path, the fast path on one thread and on all threads, and the
# ratios fast1/reference and fastN/fast1, all from that one run.
#
# Timing bases (see tests/benchmarks/bench_kernels.cpp): single-thread rates use the thread's
# CPU time, which other load on a shared machine does not inflate; the all-threads rate is
# wall time. fast1/reference compares CPU times; fastN/fast1 compares the two wall times, so
# both ratios are like for like. On a busy machine (load average is printed) fastN/fast1 is low.
#
# Usage: run-benchmarks.sh [benchmark options], e.g. run-benchmarks.sh --benchmark_filter='Q4_K|Q8_0'
# Environment: QB_BENCH_BUILD_DIR (default build), QB_JOBS (default 2), QB_BENCH_JSON (keep the raw JSON there).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${QB_BENCH_BUILD_DIR:-build}
jobs=${QB_JOBS:-2}

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
fi
cmake --build "$build" -j"$jobs" --target bench_kernels

json=${QB_BENCH_JSON:-$(mktemp --suffix=.json)}
[ -n "${QB_BENCH_JSON:-}" ] || trap 'rm -f "$json"' EXIT
"$build/bin/bench_kernels" --benchmark_out="$json" --benchmark_out_format=json "$@" >&2

python3 - "$json" <<'EOF'
import json, re, sys

with open(sys.argv[1]) as f:
    report = json.load(f)

# name -> (bytes/s, wall seconds); prefer a median aggregate when repetitions were asked for.
runs = {}
scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
for b in report["benchmarks"]:
    if b.get("error_occurred"):
        continue
    if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
        continue
    m = re.match(r"([A-Z0-9_]+)/(reference|fast/1|fast/all)(/|$)", b.get("run_name", b["name"]))
    if not m:
        continue
    key = (m.group(1), m.group(2))
    if key in runs and b.get("run_type") != "aggregate":
        continue
    runs[key] = (b["bytes_per_second"], b["real_time"] * scale[b.get("time_unit", "ns")])

types = []
for (t, _) in runs:
    if t not in types:
        types.append(t)

ctx = report.get("context", {})
load = ", ".join(f"{x:.2f}" for x in ctx.get("load_avg", []))
print(f"Kernel throughput, {ctx.get('date', '')}, {ctx.get('num_cpus', '?')} CPUs, load average {load or 'n/a'}")
print()
print("| type | reference MB/s | fast 1 thread MB/s | fast all threads MB/s | fast1 / reference | fastN / fast1 |")
print("|---|---:|---:|---:|---:|---:|")

def mbs(v):
    return f"{v / 1e6:,.0f}" if v is not None else "-"

def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "-"

for t in types:
    ref = runs.get((t, "reference"))
    f1 = runs.get((t, "fast/1"))
    fn = runs.get((t, "fast/all"))
    print(f"| {t} | {mbs(ref and ref[0])} | {mbs(f1 and f1[0])} | {mbs(fn and fn[0])} | "
          f"{ratio(f1 and f1[0], ref and ref[0])} | {ratio(f1 and f1[1], fn and fn[1])} |")
EOF
