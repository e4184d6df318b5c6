#!/bin/bash
# Predicts the CPU time of `quantbench-cli quantize MODEL OUT LABEL` from the kernel benchmark, then
# (unless -n) runs that quantization under /usr/bin/time and prints the measured CPU time and the
# ratio measured / predicted.
#
# The plan comes from `quantbench-cli quantize MODEL OUT LABEL --dry-run` (each tensor's shape,
# source and target type, and whether it gets importance data). The rates come from the JSON of
# tests/benchmarks/bench_kernels_iq_model (run it with --benchmark_out=FILE
# --benchmark_out_format=json, or --benchmark_format=json > FILE): items per CPU second of one
# thread transcoding F16 rows into each type, per row length, with and without importance data.
# Predicted CPU seconds = sum over the tensors the run converts of elements / rate(target type,
# the benchmark's row length nearest the tensor's, with or without importance as the tensor gets
# it), plus the input's bytes / the benchmark's pipeline/copy rate (what a run costs besides
# converting: mapping and reading the input, dropping its pages, writing the output, copying the
# tensors kept in their type), plus the CPU time of the dry run itself (start-up, reading the
# header, planning), measured.
# CPU time (user + system of every thread) is what the sum predicts whatever the thread count; the
# wall time at THREADS threads is about CPU / THREADS when the work splits evenly.
#
# With -B BENCH_BINARY the script first runs that bench_kernels_iq_model itself, only the cases the
# plan uses (each type and variant at the row length nearest each tensor's), for SECONDS each (-m),
# writing BENCHMARK_JSON, right before the measured run: on a machine shared with other work the
# per-thread rates move by tens of percent with the load, so rates and run are then measured side
# by side.
#
# Usage: packaging/predict-quantize-time.sh [-c CLI] [-t THREADS] [-i IMATRIX] [-n] [-B BENCH_BINARY [-m SECONDS]]
#            MODEL LABEL BENCHMARK_JSON
#   defaults: CLI=build/bin/quantbench-cli, THREADS=$(nproc), SECONDS=0.5; -n: print the prediction only, do not run.
# The last line is "predicted CPU s P" with -n, else "measured/predicted CPU LABEL P M R".
# Exit: 0 done; 2 bad input or usage (a missing or unreadable benchmark file, a type or variant
# the benchmark did not measure, a plan the CLI refuses); 1 the measured run failed.
set -u
usage() { awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 2; }
CLI=build/bin/quantbench-cli
THREADS=$(nproc)
IMATRIX=""
RUN=1
BENCH_BIN=""
MIN_TIME=0.5
while getopts "c:t:i:nB:m:" opt; do
    case $opt in
        c) CLI=$OPTARG ;;
        t) THREADS=$OPTARG ;;
        i) IMATRIX=$OPTARG ;;
        n) RUN=0 ;;
        B) BENCH_BIN=$OPTARG ;;
        m) MIN_TIME=$OPTARG ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 3 ] || usage
MODEL=$1 LABEL=$2 BENCH=$3
[ -x "$CLI" ] || { echo "quantbench-cli not found at $CLI (build it or pass -c)" >&2; exit 2; }
[ -f "$MODEL" ] || { echo "model not found: $MODEL" >&2; exit 2; }
[ -z "$BENCH_BIN" ] || [ -x "$BENCH_BIN" ] || { echo "benchmark program not found: $BENCH_BIN" >&2; exit 2; }
[ -n "$BENCH_BIN" ] || [ -f "$BENCH" ] || { echo "benchmark file not found: $BENCH (bench_kernels_iq_model --benchmark_out=FILE --benchmark_out_format=json)" >&2; exit 2; }
[ -z "$IMATRIX" ] || [ -f "$IMATRIX" ] || { echo "importance matrix not found: $IMATRIX" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package 'time')" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
imopts=()
[ -n "$IMATRIX" ] && imopts=(--imatrix "$IMATRIX")

/usr/bin/time -f '%U %S' -o "$WORK/plan.time" \
    "$CLI" quantize "$MODEL" "$WORK/out.gguf" "$LABEL" "${imopts[@]}" --dry-run >"$WORK/plan.txt" 2>&1
status=$?
if [ $status -ne 0 ]; then
    echo "quantbench-cli quantize --dry-run refused $MODEL with label $LABEL (exit $status):" >&2
    cat "$WORK/plan.txt" >&2
    exit 2
fi

# predict MODE RATES: MODE "predict" reads RATES as the benchmark's JSON and prints the prediction;
# MODE "select" reads RATES as the benchmark's --benchmark_list_tests and prints the filter that
# runs the cases the plan needs.
predict() {
python3 - "$1" "$WORK/plan.txt" "$2" "$LABEL" "$(tail -n 1 "$WORK/plan.time")" <<'EOF'
import json, math, re, sys

mode, plan_file, bench_file, label, plan_time = sys.argv[1:6]
if mode == "select":
    with open(bench_file) as f:
        entries = [{"name": l.strip(), "items_per_second": 1.0} for l in f if l.strip()]
else:
    try:
        with open(bench_file) as f:
            report = json.load(f)
        entries = report["benchmarks"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit(f"{bench_file}: not a Google Benchmark JSON report ({e})")

# (type, importance) -> {row length: items per CPU second}; a median aggregate, when the benchmark
# ran with repetitions, wins over the single runs.
rates, from_median, copy_rate = {}, set(), None
for b in entries:
    name = b.get("run_name", b.get("name", ""))
    if re.fullmatch(r"pipeline/copy(/process_time)?", name) and "items_per_second" in b and b.get("run_type") != "aggregate":
        copy_rate = float(b["items_per_second"])
        continue
    m = re.fullmatch(r"quantize/([^/]+)/(\d+)/(plain|imatrix)", name)
    if not m or b.get("error_occurred") or "items_per_second" not in b:
        continue
    key, cols = (m.group(1), m.group(3) == "imatrix"), int(m.group(2))
    median = b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median"
    if b.get("run_type") == "aggregate" and not median:
        continue
    if (key, cols) in from_median and not median:
        continue
    rates.setdefault(key, {})[cols] = float(b["items_per_second"])
    if median:
        from_median.add((key, cols))
if not rates and copy_rate is None:
    sys.exit(f"{bench_file}: no quantize/TYPE/COLUMNS/plain|imatrix or pipeline/copy results (is it bench_kernels_iq_model's output?)")

with open(plan_file) as f:
    text = f.read()
if "WARNING: dry run completed, but actually quantizing needs an importance matrix" in text:
    sys.exit(f"label {label} needs an importance matrix for this model (-i IMATRIX): the run would be refused")
line = re.compile(r"\[\s*\d+/\s*\d+\]\s+(\S+)\s+\[\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+)\]\s+(\S+)\s+->\s+(\S+)\s+([\d.]+) MiB")
groups = {}  # (type, importance, benchmark row length) -> [elements, tensors, rate]
tensors = copied = input_bytes = 0
for l in text.splitlines():
    m = line.match(l)
    if not m:
        continue
    tensors += 1
    name, src, dst = m.group(1), m.group(6), m.group(7)
    ne = [int(m.group(i)) for i in range(2, 6)]
    input_bytes += float(m.group(8)) * 1048576
    if src == dst:
        copied += 1
        continue
    key = (dst, l.rstrip().endswith("[imatrix]"))
    if key not in rates:
        sys.exit(f"{bench_file}: no rate for {dst} {'with' if key[1] else 'without'} importance data "
                 f"(tensor '{name}'); run bench_kernels_iq_model with that type")
    cols = min(rates[key], key=lambda c: (abs(math.log(c / ne[0])), c))
    g = groups.setdefault((dst, key[1], cols), [0, 0, rates[key][cols]])
    g[0] += ne[0] * ne[1] * ne[2] * ne[3]
    g[1] += 1
if tensors == 0:
    sys.exit("quantbench-cli's dry-run listed no tensors")
if mode == "select":
    print("^(pipeline/copy(/process_time)?|quantize/(" + "|".join(sorted(f"{d}/{c}/{'imatrix' if i else 'plain'}" for d, i, c in groups)) + "))$")
    sys.exit(0)
if copy_rate is None:
    sys.exit(f"{bench_file}: no pipeline/copy result (run bench_kernels_iq_model with it)")

print("| target type | importance | tensors | elements | benchmark row length | rate M/s per thread | predicted CPU s |")
print("|---|---|---:|---:|---:|---:|---:|")
total = 0.0
for (dst, imp, cols), (elements, n, rate) in sorted(groups.items(), key=lambda kv: -kv[1][0] / kv[1][2]):
    seconds = elements / rate
    total += seconds
    print(f"| {dst} | {'with' if imp else 'without'} | {n} | {elements} | {cols} | {rate / 1e6:.2f} | {seconds:.3f} |")
seconds = input_bytes / copy_rate
total += seconds
print(f"| (reading, writing, copying) | | {tensors} | {input_bytes:.0f} bytes | | {copy_rate / 1e6:.1f} MB/s | {seconds:.3f} |")
seconds = sum(float(t) for t in plan_time.split())
total += seconds
print(f"| (start-up and planning: the dry run's CPU time) | | | | | | {seconds:.3f} |")
print(f"{tensors} tensors: {tensors - copied} converted, {copied} kept in their type")
print(f"predicted CPU s {total:.3f}")
EOF
}

if [ -n "$BENCH_BIN" ]; then
    "$BENCH_BIN" --benchmark_list_tests >"$WORK/cases.txt" || { echo "$BENCH_BIN --benchmark_list_tests failed" >&2; exit 2; }
    predict select "$WORK/cases.txt" >"$WORK/filter.txt" || exit 2
    echo "load average before the benchmark: $(cut -d' ' -f1-3 /proc/loadavg)"
    "$BENCH_BIN" --benchmark_filter="$(cat "$WORK/filter.txt")" --benchmark_min_time="$MIN_TIME" \
        --benchmark_out="$BENCH" --benchmark_out_format=json >"$WORK/bench.txt" 2>&1 ||
        { echo "$BENCH_BIN failed:" >&2; tail -n 5 "$WORK/bench.txt" >&2; exit 1; }
fi
predict predict "$BENCH" >"$WORK/prediction.txt" || exit 2
echo "model $MODEL, label $LABEL, importance matrix ${IMATRIX:-none}, rates from $BENCH"
cat "$WORK/prediction.txt"
predicted=$(tail -n 1 "$WORK/prediction.txt" | awk '{ print $NF }')
[ "$RUN" = 1 ] || exit 0

# The measured run: the same command without --dry-run, CPU = user + system of all its threads.
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f '%e %U %S' -o "$WORK/time.txt" \
    "$CLI" quantize "$MODEL" "$WORK/out.gguf" "$LABEL" "$THREADS" "${imopts[@]}" >"$WORK/run.txt" 2>&1
status=$?
if [ $status -ne 0 ]; then
    echo "quantbench-cli quantize failed (exit $status):" >&2
    tail -n 5 "$WORK/run.txt" >&2
    exit 1
fi
read -r wall user sys < <(tail -n 1 "$WORK/time.txt")
awk -v l="$LABEL" -v p="$predicted" -v w="$wall" -v u="$user" -v s="$sys" -v t="$THREADS" 'BEGIN {
    c = u + s
    printf "measured: wall %.2f s, CPU %.2f s (user %.2f + system %.2f), %d threads\n", w, c, u, s, t
    printf "measured/predicted CPU %s %.3f %.3f %.2f\n", l, p, c, (p > 0 ? c / p : 0) }'
