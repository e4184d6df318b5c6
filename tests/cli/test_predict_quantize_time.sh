#!/bin/bash
# packaging/predict-quantize-time.sh on a small generated model with a short real run of
# bench_kernels_iq_model: it predicts from the benchmark's JSON and measures the run for one IQ
# label (with an importance matrix) and one TQ label (without), the prediction being the sum the
# script states (checked against the benchmark's rates and the plan's shapes here); it refuses a
# missing benchmark file, a benchmark without the plan's types and an IQ label that needs an
# importance matrix it was not given (exit 2).
# Usage: test_predict_quantize_time.sh PATH/TO/quantbench-cli PATH/TO/bench_kernels_iq_model SOURCE_DIR
# shellcheck source=../support/cli_checks.sh
source "$(dirname "$0")/../support/cli_checks.sh" "$1" ""
BENCH=$2
SRC=$3
PREDICT=$SRC/packaging/predict-quantize-time.sh

# One layer (embedding 1024, FFN 2816) and the 32000 x 1024 vocabulary matrices: 154 MB, like
# bench-quantize.sh -s 100.
"$CLI" make-model "$T/m.gguf" --layers 1 --embedding 1024 --feed-forward 2816 >/dev/null || { echo "FAIL make-model"; exit 1; }
python3 "$SRC/tests/cli/make_imatrix.py" "$T/m.gguf" "$T/m.imatrix.dat" >/dev/null || { echo "FAIL make_imatrix"; exit 1; }

# Only the types IQ4_XS and TQ1_0 assign on this model, at 1024 and 2816 columns, and the copy
# cost, briefly.
"$BENCH" --benchmark_filter='^(pipeline/copy|quantize/(iq4_xs|tq1_0|q4_K|q5_K|q6_K)/(1024|2816)/)' --benchmark_min_time=0.01 \
    --benchmark_format=json >"$T/bench.json" 2>"$T/bench.err"
check "benchmark ran" 0 $?

for run in "IQ4_XS -i $T/m.imatrix.dat" "TQ1_0"; do
    read -r label imopt imfile <<<"$run"
    name=${label}${imfile:+ with importance}
    "$PREDICT" -c "$CLI" -t 2 ${imopt:+"$imopt" "$imfile"} "$T/m.gguf" "$label" "$T/bench.json" >"$T/$label.txt" 2>"$T/$label.err"
    check "$name: predicted and measured" 0 $?
    expect_text "$name: a measured time" "$T/$label.txt" "measured: wall"
    # The total is the sum of elements / rate over the table's rows, the input's bytes / the copy
    # rate and the dry run's time; the rates are the benchmark's for that type, variant and row
    # length; the last line's ratio is measured / predicted.
    py "$name: prediction = sum of elements / benchmark rate, ratio = measured / predicted" '
import json, re, sys
text = open(sys.argv[1]).read()
bench = {b["name"]: b["items_per_second"] for b in json.load(open(sys.argv[2]))["benchmarks"]}
rows = re.findall(r"^\| (\S+) \| (with|without) \| (\d+) \| (\d+) \| (\d+) \| ([\d.]+) \| ([\d.]+) \|$", text, re.M)
assert rows, text
copy = re.search(r"^\| \(reading, writing, copying\) \| \| \d+ \| (\d+) bytes \| \| ([\d.]+) MB/s \| ([\d.]+) \|$", text, re.M)
startup = re.search(r"^\| \(start-up and planning: the dry run.s CPU time\) \| \| \| \| \| \| ([\d.]+) \|$", text, re.M)
assert copy and startup, text
copy_rate = bench["pipeline/copy/process_time"]
assert abs(float(copy.group(2)) - copy_rate / 1e6) < 0.06 and 150e6 < int(copy.group(1)) < 160e6, copy.groups()
total = int(copy.group(1)) / copy_rate + float(startup.group(1))
for dst, imp, n, elements, cols, rate, seconds in rows:
    r = bench["quantize/%s/%s/%s" % (dst, cols, "imatrix" if imp == "with" else "plain")]
    assert abs(float(rate) - r / 1e6) < 0.006, (dst, rate, r)
    total += int(elements) / r
assert sum(int(r[3]) for r in rows) > 30e6, "the model has about 33 M elements to convert"
predicted = float(re.search(r"^predicted CPU s ([\d.]+)$", text, re.M).group(1))
assert abs(predicted - total) < 0.005 and predicted > 0, (predicted, total)
cpu = float(re.search(r"^measured: wall [\d.]+ s, CPU ([\d.]+) s", text, re.M).group(1))
last = text.strip().splitlines()[-1].split()
assert last[:3] == ["measured/predicted", "CPU", sys.argv[3]], last
assert abs(float(last[3]) - predicted) < 0.002 and abs(float(last[4]) - cpu) < 0.006, last
assert cpu > 0 and abs(float(last[5]) - cpu / predicted) < 0.01, last
print("predicted %.3f s, measured %.2f s CPU, ratio %s" % (predicted, cpu, last[5]))
' "$T/$label.txt" "$T/bench.json" "$label"
done
expect_text "IQ4_XS: the output matrix's Q6_K counted" "$T/IQ4_XS.txt" "| q6_K | with | 1 | 32768000 | 1024 |"

# -n: the prediction only, no run.
"$PREDICT" -c "$CLI" -n "$T/m.gguf" TQ1_0 "$T/bench.json" >"$T/n.txt" 2>&1
check "-n: prediction only" 0 $?
if grep -q "measured" "$T/n.txt"; then echo "FAIL -n ran the quantization"; failures=$((failures + 1)); else echo "ok   -n runs nothing"; fi

"$PREDICT" -c "$CLI" "$T/m.gguf" TQ1_0 "$T/missing.json" >"$T/missing.txt" 2>&1
check "missing benchmark file refused" 2 $?
expect_text "missing benchmark file named" "$T/missing.txt" "benchmark file not found: $T/missing.json"

echo '{"benchmarks": []}' >"$T/empty.json"
"$PREDICT" -c "$CLI" "$T/m.gguf" TQ1_0 "$T/empty.json" >"$T/empty.txt" 2>&1
check "benchmark without results refused" 2 $?
expect_text "empty benchmark named" "$T/empty.txt" "$T/empty.json: no quantize/TYPE/COLUMNS"

"$PREDICT" -c "$CLI" "$T/m.gguf" IQ3_S "$T/bench.json" >"$T/iq3.txt" 2>&1
check "type the benchmark did not measure refused" 2 $?
expect_text "missing type named" "$T/iq3.txt" "no rate for iq3_s without importance data"

"$PREDICT" -c "$CLI" "$T/m.gguf" IQ2_XXS "$T/bench.json" >"$T/iq2.txt" 2>&1
check "label needing an importance matrix refused without one" 2 $?
expect_text "importance matrix asked for" "$T/iq2.txt" "label IQ2_XXS needs an importance matrix for this model"

echo "$failures failure(s)"
[ "$failures" = 0 ]
