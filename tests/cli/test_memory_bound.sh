#!/bin/bash
# Memory does not grow with the model: a sparse generated model (matrices are holes, so no disk
# cost) much larger than the bound is quantized (Q8_0 and Q4_K_M, --dry-run and real, then both
# in one multi-output pass) and analysed (the label table), and each run's peak RSS (getrusage, tests/cli/peak_rss.py) must stay
# within the bound README.md states:
#     64 MiB + 5 x the largest tensor of the input
# (three input tensors in flight, up to three quantized outputs of at most about half an F16
# tensor's size, and the program itself). Without releasing input pages behind the reader the
# peak would be about the model's size, above the bound. Outputs are checked and removed.
# Usage: test_memory_bound.sh PATH/TO/quantbench-cli [SIZE_MB (default 3000)] [WORK_DIR]
set -u
CLI=$1
SIZE_MB=${2:-3000}
T=$(mktemp -d "${3:-${TMPDIR:-/tmp}}/qb-membound.XXXXXX")
trap 'rm -rf "$T"' EXIT
HERE=$(cd "$(dirname "$0")" && pwd)
failures=0

# The real runs write up to ~85 % of the model's size (Q8_0 and Q4_K_M side by side in the
# multi-output pass); refuse to start without the room.
need_kib=$((SIZE_MB * 1000 * 90 / 100 / 1024))
free_kib=$(df -Pk "$T" | awk 'NR == 2 { print $4 }')
if [ "$free_kib" -lt "$need_kib" ]; then
    echo "FAIL: $T has $free_kib KiB free, the test needs $need_kib KiB"; exit 1
fi

# The shape of a 7B layer (n_embd 4096, n_ff 11008): the largest tensors are the two vocabulary
# matrices (32000 x 4096 F16, 262 MB).
"$CLI" make-model "$T/sparse.gguf" --sparse --size-mb "$SIZE_MB" --embedding 4096 --feed-forward 11008 || exit 1
model_bytes=$(stat -c %s "$T/sparse.gguf")
largest=$("$CLI" inspect "$T/sparse.gguf" --json | python3 -c 'import json,sys; print(max(t["bytes"] for t in json.load(sys.stdin)["tensors"]))')
bound_kib=$(((64 * 1024 * 1024 + 5 * largest) / 1024))
echo "model: $model_bytes bytes ($(du -k "$T/sparse.gguf" | cut -f1) KiB on disk), largest tensor $largest bytes, bound $bound_kib KiB"
if [ $((model_bytes / 1024)) -le "$bound_kib" ]; then
    echo "FAIL: the model ($model_bytes bytes) is not larger than the bound; the test would prove nothing"; exit 1
fi

measure() {  # measure NAME COMMAND...
    local name=$1; shift
    local start=$SECONDS
    python3 "$HERE/peak_rss.py" "$T/rss" "$@" > "$T/out.txt" 2> "$T/err.txt"
    local rc=$? kib
    kib=$(cat "$T/rss")
    if [ $rc -ne 0 ]; then
        echo "FAIL $name: exit code $rc"; tail -5 "$T/err.txt"; failures=$((failures + 1))
    elif [ "$kib" -gt "$bound_kib" ]; then
        echo "FAIL $name: peak RSS $kib KiB > bound $bound_kib KiB"; failures=$((failures + 1))
    else
        echo "ok   $name: peak RSS $kib KiB (bound $bound_kib KiB), $((SECONDS - start)) s"
    fi
}

for label in Q8_0 Q4_K_M; do
    measure "quantize $label --dry-run" "$CLI" quantize "$T/sparse.gguf" "$T/out.gguf" "$label" --dry-run
    measure "quantize $label" "$CLI" quantize "$T/sparse.gguf" "$T/out.gguf" "$label"
    if "$CLI" inspect "$T/out.gguf" > /dev/null; then echo "ok   $label output reads back"
    else echo "FAIL $label output"; failures=$((failures + 1)); fi
    rm -f "$T/out.gguf"
done
# Both labels from one read: the input pages go once every output has the tensor, so the same
# bound holds (one quantized buffer per distinct type, each at most about half the input tensor).
mkdir -p "$T/many"
measure "quantize --labels Q8_0,Q4_K_M" "$CLI" quantize "$T/sparse.gguf" --labels Q8_0,Q4_K_M --out "$T/many/{label}.gguf"
for label in Q8_0 Q4_K_M; do
    if "$CLI" inspect "$T/many/$label.gguf" > /dev/null; then echo "ok   multi-output $label reads back"
    else echo "FAIL multi-output $label output"; failures=$((failures + 1)); fi
done
rm -rf "$T/many"
measure "analyze --labels all" "$CLI" analyze "$T/sparse.gguf" --labels all

[ $failures -eq 0 ] && echo "all passed" || echo "$failures failed"
[ $failures -eq 0 ]
