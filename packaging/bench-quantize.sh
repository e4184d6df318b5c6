#!/bin/bash
# Times whole-model quantization end to end: generates a deterministic llama-style F16 model
# (quantbench-cli make-model), then runs `quantbench-cli quantize IN OUT LABEL THREADS` per label
# under /usr/bin/time -v and prints wall time, input throughput and peak RSS as a Markdown table.
# If LLAMA_QUANTIZE names a llama-quantize binary, it is timed on the same input and the two
# outputs are compared byte for byte.
#
# Usage: packaging/bench-quantize.sh [-c CLI] [-s SIZE_MB] [-t THREADS] [-w WORKDIR] [LABEL...]
#   defaults: CLI=build/bin/quantbench-cli, SIZE_MB=300, THREADS=$(nproc), labels Q4_K_M Q8_0
set -u
CLI=build/bin/quantbench-cli
SIZE_MB=300
THREADS=$(nproc)
WORK=""
while getopts "c:s:t:w:" opt; do
    case $opt in
        c) CLI=$OPTARG ;;
        s) SIZE_MB=$OPTARG ;;
        t) THREADS=$OPTARG ;;
        w) WORK=$OPTARG ;;
        *) sed -n '2,11p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
LABELS=("$@")
[ ${#LABELS[@]} -eq 0 ] && LABELS=(Q4_K_M Q8_0)
[ -x "$CLI" ] || { echo "quantbench-cli not found at $CLI (build it or pass -c)"; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package 'time')"; exit 2; }

if [ -z "$WORK" ]; then
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
fi
MODEL="$WORK/bench-f16.gguf"
"$CLI" make-model "$MODEL" --size-mb "$SIZE_MB" || exit 1
IN_BYTES=$(stat -c %s "$MODEL")

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
echo "| tool | label | wall s | CPU s | input MB/s | peak RSS MiB | output MB | status |"
echo "|---|---|---:|---:|---:|---:|---:|---|"
for label in "${LABELS[@]}"; do
    out="$WORK/qb-$label.gguf"
    read -r wall rss status cpu < <(run "$WORK/qb-$label" "$CLI" quantize "$MODEL" "$out" "$label" "$THREADS")
    note="ok"
    [ "$status" = 0 ] || note="failed ($(grep -m1 '^error' "$WORK/qb-$label.time" | cut -c1-80))"
    size=$([ -f "$out" ] && stat -c %s "$out" || echo 0)
    awk -v t=quantbench -v l="$label" -v w="$wall" -v c="$cpu" -v r="$rss" -v b="$IN_BYTES" -v o="$size" -v n="$note" \
        'BEGIN { printf "| %s | %s | %.2f | %.2f | %.1f | %.1f | %.1f | %s |\n", t, l, w, c, (w > 0 ? b / 1e6 / w : 0), r / 1024, o / 1e6, n }'
    if [ -n "${LLAMA_QUANTIZE:-}" ]; then
        ref="$WORK/llama-$label.gguf"
        read -r wall rss status cpu < <(run "$WORK/llama-$label" "$LLAMA_QUANTIZE" "$MODEL" "$ref" "$label" "$THREADS")
        same="differs"
        cmp -s "$out" "$ref" && same="byte-identical"
        awk -v l="$label" -v w="$wall" -v c="$cpu" -v r="$rss" -v b="$IN_BYTES" -v o="$(stat -c %s "$ref" 2>/dev/null || echo 0)" -v n="exit $status, $same" \
            'BEGIN { printf "| llama-quantize | %s | %.2f | %.2f | %.1f | %.1f | %.1f | %s |\n", l, w, c, (w > 0 ? b / 1e6 / w : 0), r / 1024, o / 1e6, n }'
        rm -f "$ref"
    fi
    rm -f "$out"
done
