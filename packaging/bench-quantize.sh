#!/bin/bash
# Times whole-model quantization end to end: generates a deterministic llama-style F16 model
# (quantbench-cli make-model), then runs `quantbench-cli quantize IN OUT LABEL THREADS` per label
# under /usr/bin/time -v and prints wall time, input throughput and peak RSS as a Markdown table.
# If LLAMA_QUANTIZE names llama.cpp's quantizer (a llama-quantize binary, or the library-backed
# stand-in that packaging/llama-reference/fetch.sh builds), it runs on the same input with the same
# label and threads, alternating with quantbench run by run (so both see the same machine load),
# and the two outputs are compared tensor by tensor (names, types, shapes, data bytes). The last
# lines give, per label, the ratio of the median wall and CPU times.
#
# With -i imatrix (or -i both: each label without, then with), both tools get the same importance
# matrix, written for the model by tests/cli/make_imatrix.py (llama.cpp's .dat format). Labels that
# need one (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ2_M, IQ3_XXS, IQ3_XS, Q2_K_S) fail without it, in
# both tools. The stand-in driver of fetch.sh takes no importance matrix: for -i, set
# LLAMA_QUANTIZE to the real llama-quantize that packaging/llama-reference/fetch-llama-quantize.sh
# builds. The per-label logs stay in WORKDIR (-w) as quantbench-LABEL.out / .time.
#
# If KERNEL_BENCHMARK names bench_kernels_iq_model's JSON output, each label's CPU time is also
# predicted from the kernel rates (packaging/predict-quantize-time.sh -n) and the last lines give
# the median measured CPU time / predicted.
#
# Usage: packaging/bench-quantize.sh [-c CLI] [-s SIZE_MB] [-t THREADS] [-r RUNS] [-w WORKDIR] [-i none|imatrix|both] [LABEL...]
#   defaults: CLI=build/bin/quantbench-cli, SIZE_MB=300, THREADS=$(nproc), RUNS=1, -i none, labels Q4_K_M Q8_0
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/bench-common.sh"
bench_setup "$(nproc)" 1 "$@"
RUNS=$REPEAT
[ ${#LABELS[@]} -eq 0 ] && LABELS=(Q4_K_M Q8_0)
case $IMATRIX_MODE in
    none) VARIANTS=(plain) ;;
    imatrix) VARIANTS=(imatrix) ;;
    both) VARIANTS=(plain imatrix) ;;
    *) echo "-i takes none, imatrix or both, not '$IMATRIX_MODE'"; exit 2 ;;
esac
bench_make_model
IN_BYTES=$(stat -c %s "$MODEL")
IMATRIX="$WORK/bench.imatrix.dat"
if [ "$IMATRIX_MODE" != none ]; then
    python3 "$here/../tests/cli/make_imatrix.py" "$MODEL" "$IMATRIX" || exit 1
fi

# run LOG CMD...: runs CMD under /usr/bin/time -v; prints "wall_s rss_kib status cpu_s".
# CPU seconds (user + system) are printed too: on a loaded machine they are the steadier figure.
run() {
    local log=$1; shift
    sync
    /usr/bin/time -v "$@" >"$log.out" 2>"$log.time"
    local status=$?
    local wall rss cpu
    wall=$(grep 'Elapsed (wall clock)' "$log.time" | awk '{print $NF}' |
           awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
    rss=$(grep 'Maximum resident set size' "$log.time" | awk '{print $NF}')
    cpu=$(grep -E '(User|System) time' "$log.time" | awk '{ s += $NF } END { print s }')
    echo "$wall $rss $status $cpu"
}

echo
echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Input: $MODEL, $(awk -v b="$IN_BYTES" 'BEGIN { printf "%.1f MB", b / 1e6 }'), threads $THREADS, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo
echo "| tool | label | run | wall s | CPU s | input MB/s | peak RSS MiB | output MB | status |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
declare -A times=()   # "tool label" -> "wall cpu" lines, for the medians
# measure TOOL LABEL RUN OUT CMD...: one timed run, one table row.
measure() {
    local tool=$1 label=$2 n=$3 out=$4; shift 4
    local wall rss status cpu note size
    read -r wall rss status cpu < <(run "$WORK/$tool-$label" "$@")
    note="ok"
    [ "$status" = 0 ] || note="failed (exit $status: $(grep -m1 -i 'error' "$WORK/$tool-$label.time" "$WORK/$tool-$label.out" | cut -c1-80))"
    size=$([ -f "$out" ] && stat -c %s "$out" || echo 0)
    [ "$status" = 0 ] && times["$tool $label"]+="$wall $cpu"$'\n'
    awk -v t="$tool" -v l="$label" -v k="$n" -v w="$wall" -v c="$cpu" -v r="$rss" -v b="$IN_BYTES" -v o="$size" -v s="$note" \
        'BEGIN { printf "| %s | %s | %d | %.2f | %.2f | %.1f | %.1f | %.1f | %s |\n", t, l, k, w, c, (w > 0 ? b / 1e6 / w : 0), r / 1024, o / 1e6, s }'
}
declare -a verdicts=() predictions=()
for name in "${LABELS[@]}"; do for variant in "${VARIANTS[@]}"; do
    label=$name
    qbopts=() llopts=()
    if [ "$variant" = imatrix ]; then
        qbopts=(--imatrix "$IMATRIX") llopts=(--imatrix "$IMATRIX")
    fi
    tag=$label$([ "$variant" = imatrix ] && echo "+imatrix")
    out="$WORK/qb-$tag.gguf"
    ref="$WORK/llama-$tag.gguf"
    for n in $(seq 1 "$RUNS"); do
        rm -f "$out" "$ref"
        measure quantbench "$tag" "$n" "$out" "$CLI" quantize "$MODEL" "$out" "$label" "$THREADS" "${qbopts[@]}"
        [ -n "${LLAMA_QUANTIZE:-}" ] && measure llama.cpp "$tag" "$n" "$ref" "$LLAMA_QUANTIZE" "${llopts[@]}" "$MODEL" "$ref" "$label" "$THREADS"
    done
    label=$tag
    if [ -n "${KERNEL_BENCHMARK:-}" ] && [ -n "${times[quantbench $label]:-}" ]; then
        predicted=$("$here/predict-quantize-time.sh" -n -c "$CLI" "${qbopts[@]/#--imatrix/-i}" "$MODEL" "$name" \
                    "$KERNEL_BENCHMARK" 2>&1 | tail -n 1)
        qc=$(printf '%s' "${times[quantbench $label]}" | awk '{ print $2 }' | median)
        predictions+=("$(awk -v l="$label" -v p="$predicted" -v c="$qc" -v n="$RUNS" 'BEGIN {
            if (p !~ /^predicted CPU s /) { printf "%s: no prediction (%s)", l, p; exit }
            sub(/^predicted CPU s /, "", p)
            printf "%s: predicted CPU %.2f s, measured median %.2f s (%d runs), measured/predicted %.2f", l, p, c, n, c / p }')")
    fi
    if [ -n "${LLAMA_QUANTIZE:-}" ] && [ -f "$out" ] && [ -f "$ref" ]; then
        same=$(python3 "$here/llama-reference/compare_tensors.py" "$CLI" "$out" "$ref" 2>&1)
        qw=$(printf '%s' "${times[quantbench $label]}" | awk '{ print $1 }' | median)
        qc=$(printf '%s' "${times[quantbench $label]}" | awk '{ print $2 }' | median)
        lw=$(printf '%s' "${times[llama.cpp $label]}" | awk '{ print $1 }' | median)
        lc=$(printf '%s' "${times[llama.cpp $label]}" | awk '{ print $2 }' | median)
        verdicts+=("$(awk -v l="$label" -v qw="$qw" -v lw="$lw" -v qc="$qc" -v lc="$lc" -v s="$same" -v n="$RUNS" \
            'BEGIN { printf "%s: quantbench/llama.cpp median wall %.2f/%.2f s = %.2fx, CPU %.2f/%.2f s = %.2fx (%d runs each); %s", l, qw, lw, qw / lw, qc, lc, qc / lc, n, s }')")
    fi
    rm -f "$out" "$ref"
done; done
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for v in "${verdicts[@]}"; do echo "$v"; done
for p in "${predictions[@]}"; do echo "$p"; done
