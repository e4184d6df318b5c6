#!/usr/bin/env bash
# The calibration behind core/optimize/role_sensitivity.cpp: for each tensor role, the mean KL
# divergence (llama.cpp's llama-perplexity) when only that role's tensors are quantized to TYPE
# (every other tensor kept as stored), divided by the optimizer's predicted error of those tensors
# (parameter share times squared relative RMSE, from `analyze`). Not part of CI.
#
# usage: LLAMA_PERPLEXITY=/path/to/llama-perplexity packaging/measure-role-sensitivity.sh [CLI] [OUTDIR]
#   MODEL, TEXT, CTX and TYPE (default q3_K) may be set in the environment.
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/measure-common.sh"
ppl="${LLAMA_PERPLEXITY:?set LLAMA_PERPLEXITY to the llama-perplexity of llama.cpp}"
type="${TYPE:-q3_K}"

[ -s "$out/base.kld" ] || "$ppl" -m "$model" -f "$text" -c "$ctx" -t 2 --kl-divergence-base "$out/base.kld" >"$out/base.log" 2>&1
"$cli" analyze "$model" --types "$type" --json >"$out/analyze.json"
echo "role kld predicted_error sensitivity"
for role in token_embd output attn_q attn_k attn_v attn_output ffn_gate ffn_up ffn_down; do
    case $role in
        output) pattern='^output\.weight$' ;;
        token_embd) pattern='^token_embd\.weight$' ;;
        *) pattern="$role\\.weight" ;;
    esac
    "$cli" quantize "$model" "$out/$role.gguf" Q8_0 --tensor-type "$pattern=$type" --tensor-type ".=f32" >/dev/null
    "$ppl" -m "$out/$role.gguf" -f "$text" -c "$ctx" -t 2 --kl-divergence-base "$out/base.kld" --kl-divergence \
        >"$out/$role.log" 2>&1
    kld=$(grep -o 'Mean    KLD: *[0-9.e+-]*' "$out/$role.log" | awk '{print $3}')
    python3 - "$out/analyze.json" "$pattern" "$kld" "$role" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
pattern, kld, role = re.compile(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
params = {}
for t in doc["tensors"]:
    params[t["tensor"]] = t["bytes"] * 8 / t["bits_per_weight"]
err = sum(params[t["tensor"]] * t["metrics"]["relative_rmse"] ** 2 for t in doc["tensors"] if pattern.search(t["tensor"]))
print(role, kld, err, kld / err if err else float("nan"))
PY
done
