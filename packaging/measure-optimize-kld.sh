#!/usr/bin/env bash
# Mean KL divergence of the size optimizer's mix against the label of the same size, measured
# with `quantbench-cli evaluate` (llama.cpp's own inference through libllama), with and without an
# importance matrix. Not part of CI (a dozen evaluations take minutes).
#
# usage: packaging/measure-optimize-kld.sh [CLI] [OUTDIR]
#   CLI must be built with llama.cpp (-DQB_LLAMA_DIR=…, as the test command does).
#   MODEL, IMATRIX, TEXT, LABELS, CTX, RULES and EXTRA (extra optimize options) may be set in the
#   environment.
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/measure-common.sh"
imatrix="${IMATRIX:-$golden/imatrix/stories-d256.f32.imatrix.dat}"
labels="${LABELS:-Q3_K_M Q4_K_M Q5_K_M}"
rules="${RULES:-b4748}"  # labels and optimizer under one rule set (the README table: b4748)

files=()
rows=()
for im in none "$imatrix"; do
    imopt=()
    [ "$im" = none ] || imopt=(--imatrix "$im")
    yn=$([ "$im" = none ] && echo no || echo yes)
    for label in $labels; do
        tag="$label.$([ "$im" = none ] && echo plain || echo imatrix)"
        "$cli" quantize "$model" "$out/label.$tag.gguf" "$label" --rules "$rules" "${imopt[@]}" >/dev/null
        size=$(stat -c %s "$out/label.$tag.gguf")
        # shellcheck disable=SC2086
        "$cli" optimize "$model" --target-size "$size" --rules "$rules" "${imopt[@]}" ${EXTRA:-} --save-preset "$out/opt.$tag.json" >"$out/opt.$tag.txt"
        "$cli" quantize "$model" "$out/opt.$tag.gguf" --preset "$out/opt.$tag.json" >/dev/null
        files+=("$out/label.$tag.gguf" "$out/opt.$tag.gguf")
        rows+=("$yn $label label.$tag.gguf opt.$tag.gguf")
    done
done

# One evaluation: the base model runs over the text once, every file is compared with it.
"$cli" evaluate "$model" "${files[@]}" --text "$text" --ctx "$ctx" --json >"$out/evaluate.json"

echo "| importance matrix | size of | label bytes | label mean KLD | optimized bytes | optimized mean KLD |"
echo "|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
    # shellcheck disable=SC2086
    set -- $row
    python3 - "$out/evaluate.json" "$@" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
im, label, lf, of = sys.argv[2:6]
by = {c["name"]: c for c in doc["candidates"]}
l, o = by[lf], by[of]
lk, ok = l["kld"]["mean"]["value"], o["kld"]["mean"]["value"]
fmt = lambda k, win: ("**%.6f**" if win else "%.6f") % k
print(f"| {im} | {label} | {l['bytes']:,} | {fmt(lk, lk < ok)} | {o['bytes']:,} | {fmt(ok, ok < lk)} |")
EOF
done
