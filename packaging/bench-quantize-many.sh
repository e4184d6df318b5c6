#!/bin/bash
# Times the one-pass multi-output quantization against separate single-label runs: on a generated
# llama-style F16 model (quantbench-cli make-model), `quantbench-cli quantize IN --labels L1,...`
# once, then `quantbench-cli quantize IN OUT L THREADS` per label and, if LLAMA_QUANTIZE names
# llama.cpp's quantizer (see bench-quantize.sh and llama-reference/fetch.sh), llama.cpp once per
# label. Within a round the single runs alternate label by label (ours, llama.cpp), and rounds
# alternate which comes first, so all see the same machine load. Wall and CPU (user + system)
# time of every run, under /usr/bin/time. The one-pass outputs are compared byte for byte with our
# single runs in round 1. Prints per round the one-pass time and the sums of the single runs,
# the medians over rounds, their ratios and the load average before and after.
#
# Usage: packaging/bench-quantize-many.sh [-c CLI] [-s SIZE_MB] [-t THREADS] [-r ROUNDS] [-w WORKDIR] [LABEL...]
#   defaults: CLI=build/bin/quantbench-cli, SIZE_MB=300, THREADS=2, ROUNDS=1,
#   labels Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K Q8_0
set -u
source "$(cd "$(dirname "$0")" && pwd)/bench-common.sh"
bench_setup 2 1 "$@"
ROUNDS=$REPEAT
[ ${#LABELS[@]} -eq 0 ] && LABELS=(Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K Q8_0)
bench_make_model >/dev/null
list=$(IFS=,; echo "${LABELS[*]}")

# timed LOG CMD...: prints "wall_s cpu_s status"
timed() {
    local log=$1; shift
    sync
    /usr/bin/time -f '%e %U %S' -o "$log.time" "$@" >"$log.out" 2>"$log.err"
    local status=$?
    awk -v s="$status" '{ printf "%.2f %.2f %d\n", $1, $2 + $3, s }' "$log.time" | tail -1
}

echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Input: $(stat -c %s "$MODEL" | awk '{ printf "%.1f MB", $1 / 1e6 }') F16, ${#LABELS[@]} labels ($list), threads $THREADS, $(nproc) cores"
echo
echo "| round | one pass wall / CPU s | our ${#LABELS[@]} single runs wall / CPU s | llama.cpp ${#LABELS[@]} runs wall / CPU s | one pass / ours (wall, CPU) | one pass / llama.cpp (wall, CPU) |"
echo "|---:|---:|---:|---:|---:|---:|"
: >"$WORK/rounds"
failed=0
for round in $(seq 1 "$ROUNDS"); do
    mkdir -p "$WORK/multi" "$WORK/single"
    one_pass() {
        rm -f "$WORK"/multi/*
        read -r mw mc ms < <(timed "$WORK/multi-run" "$CLI" quantize "$MODEL" --labels "$list" \
            --out "$WORK/multi/{label}.gguf" --threads "$THREADS")
        [ "$ms" = 0 ] || { echo "one-pass run failed (exit $ms): $(tail -3 "$WORK/multi-run.err")"; failed=1; }
    }
    [ $((round % 2)) = 0 ] || one_pass
    qw=0; qc=0; lw=0; lc=0
    for label in "${LABELS[@]}"; do
        read -r w c s < <(timed "$WORK/single-run" "$CLI" quantize "$MODEL" "$WORK/single/$label.gguf" "$label" "$THREADS")
        [ "$s" = 0 ] || { echo "single run $label failed (exit $s)"; failed=1; }
        qw=$(awk -v a="$qw" -v b="$w" 'BEGIN { print a + b }'); qc=$(awk -v a="$qc" -v b="$c" 'BEGIN { print a + b }')
        if [ -n "${LLAMA_QUANTIZE:-}" ]; then
            read -r w c s < <(timed "$WORK/llama-run" "$LLAMA_QUANTIZE" "$MODEL" "$WORK/llama.gguf" "$label" "$THREADS")
            [ "$s" = 0 ] || { echo "llama.cpp run $label failed (exit $s)"; failed=1; }
            rm -f "$WORK/llama.gguf"
            lw=$(awk -v a="$lw" -v b="$w" 'BEGIN { print a + b }'); lc=$(awk -v a="$lc" -v b="$c" 'BEGIN { print a + b }')
        fi
        # Our single runs' files are kept for the byte comparison of round 1 only (disk space).
        [ "$round" = 1 ] || rm -f "$WORK/single/$label.gguf"
    done
    [ $((round % 2)) = 0 ] && one_pass
    if [ "$round" = 1 ]; then
        for label in "${LABELS[@]}"; do
            cmp -s "$WORK/multi/$label.gguf" "$WORK/single/$label.gguf" ||
                { echo "MISMATCH: one-pass $label differs from its single run"; failed=1; }
        done
        [ "$failed" = 0 ] && echo "(round 1: every one-pass output equals its single run byte for byte)"
        rm -f "$WORK"/single/*
    fi
    rm -f "$WORK"/multi/*
    echo "$mw $mc $qw $qc $lw $lc" >>"$WORK/rounds"
    awk -v r="$round" -v mw="$mw" -v mc="$mc" -v qw="$qw" -v qc="$qc" -v lw="$lw" -v lc="$lc" 'BEGIN {
        printf "| %d | %.2f / %.2f | %.2f / %.2f | %s | %.2f, %.2f | %s |\n", r, mw, mc, qw, qc,
            (lw > 0 ? sprintf("%.2f / %.2f", lw, lc) : "-"), mw / qw, mc / qc,
            (lw > 0 ? sprintf("%.2f, %.2f", mw / lw, mc / lc) : "-") }'
done
grep -m1 '^work:' "$WORK/multi-run.out" | sed 's/^/one pass: /'
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
m() { awk -v k="$1" '{ print $k }' "$WORK/rounds" | median; }
awk -v mw="$(m 1)" -v mc="$(m 2)" -v qw="$(m 3)" -v qc="$(m 4)" -v lw="$(m 5)" -v lc="$(m 6)" -v n="$ROUNDS" 'BEGIN {
    printf "medians of %d round(s): one pass %.2f s wall, %.2f s CPU; our single runs %.2f / %.2f s: ratio %.2f wall, %.2f CPU (target <= 0.5)\n", n, mw, mc, qw, qc, mw / qw, mc / qc
    if (lw > 0) printf "llama.cpp single runs %.2f / %.2f s: one pass / llama.cpp %.2f wall, %.2f CPU\n", lw, lc, mw / lw, mc / lc }'
exit "$failed"
