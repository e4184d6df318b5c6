#!/usr/bin/env bash
# Mean KL divergence of the size optimizer's mix against the label of the same size, measured
# with llama.cpp's llama-perplexity (--kl-divergence-base, then --kl-divergence), with and
# without an importance matrix. Not part of CI (a dozen perplexity runs take minutes).
#
# usage: LLAMA_PERPLEXITY=/path/to/llama-perplexity packaging/measure-optimize-kld.sh [CLI] [OUTDIR]
#   MODEL, IMATRIX, TEXT, LABELS, CTX and EXTRA (extra optimize options) may be set in the environment.
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/measure-common.sh"
imatrix="${IMATRIX:-$golden/imatrix/stories-d256.f32.imatrix.dat}"
labels="${LABELS:-Q3_K_M Q4_K_M Q5_K_M}"

kld() {  # mean KLD of model $1 against the base logits (a label's earlier result is reused)
    if [[ "$1" == */label.* ]] && grep -q 'Mean    KLD' "$1.kld.log" 2>/dev/null; then
        grep -o 'Mean    KLD: *[0-9.e+-]*' "$1.kld.log" | awk '{print $3}'
        return
    fi
    "$ppl" -m "$1" -f "$text" -c "$ctx" -t 2 --kl-divergence-base "$out/base.kld" --kl-divergence >"$1.kld.log" 2>&1
    grep -o 'Mean    KLD: *[0-9.e+-]*' "$1.kld.log" | awk '{print $3}'
}

[ -s "$out/base.kld" ] || "$ppl" -m "$model" -f "$text" -c "$ctx" -t 2 --kl-divergence-base "$out/base.kld" >"$out/base.log" 2>&1
echo "| importance matrix | size of | label bytes | label mean KLD | optimized bytes | optimized mean KLD |"
echo "|---|---|---|---|---|---|"
for im in none "$imatrix"; do
    imopt=()
    [ "$im" = none ] || imopt=(--imatrix "$im")
    for label in $labels; do
        tag="$label.$([ "$im" = none ] && echo plain || echo imatrix)"
        "$cli" quantize "$model" "$out/label.$tag.gguf" "$label" "${imopt[@]}" >/dev/null
        size=$(stat -c %s "$out/label.$tag.gguf")
        # shellcheck disable=SC2086
        "$cli" optimize "$model" --target-size "$size" "${imopt[@]}" ${EXTRA:-} --save-preset "$out/opt.$tag.json" >"$out/opt.$tag.txt"
        "$cli" quantize "$model" "$out/opt.$tag.gguf" --preset "$out/opt.$tag.json" >/dev/null
        osize=$(stat -c %s "$out/opt.$tag.gguf")
        echo "| $([ "$im" = none ] && echo no || echo yes) | $label | $size | $(kld "$out/label.$tag.gguf") | $osize | $(kld "$out/opt.$tag.gguf") |"
    done
done
