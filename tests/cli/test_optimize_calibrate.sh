#!/usr/bin/env bash
# optimize's role sensitivities: from a calibration file (--sensitivity) and measured on the model
# itself with llama.cpp (--calibrate TEXT), on the golden stories260K (the model the built-in
# table was not measured on) and the golden text:
#   - a calibration measures every role that has free tensors, its sensitivities are the measured
#     divergence over the predicted error (same ratios), saved to a file that --sensitivity reads
#     back to the same mix;
#   - the point: at Q3_K_M's and Q5_K_M's sizes the calibrated mix's mean KL divergence, measured
#     by evaluate, is below the label's;
#   - refusals: a sensitivity file that is not JSON, names an unknown role or a non-positive weight,
#     exit 2 naming the file; --calibrate with a missing text, exit 2; Ctrl-C (SIGTERM) exits 143.
# Usage: test_optimize_calibrate.sh QUANTBENCH_CLI GOLDEN_DIR [llama]  (llama: llama.cpp is linked)
set -uo pipefail
cli=$1 golden=$2 llama=${3:-}
model=$golden/models/stories260K.f32.gguf
text=$golden/text/stories-sample.txt
# shellcheck source=../support/script_checks.sh
source "$(dirname "$0")/../support/script_checks.sh"
refused() {  # NAME TEXT-EXPECTED ARGS...
    local name=$1 expect=$2; shift 2
    local out rc
    out=$("$cli" optimize "$model" --target-size 304096 "$@" 2>&1); rc=$?
    check "$name: exit 2" 2 "$rc"
    if printf '%s' "$out" | grep -qF -- "$expect"; then echo "ok   $name: names $expect"
    else echo "FAIL $name: message does not name $expect: $out"; failures=$((failures + 1)); fi
}
command -v python3 > /dev/null || { echo "FAIL python3 is needed to check the JSON output"; exit 1; }

# Sensitivity files: refused clearly, and a good one changes the mix as its weights say.
printf 'not json' > "$T/bad.json"
refused "not JSON" "bad.json" --sensitivity "$T/bad.json"
printf '{"sensitivity": {"attn_z": 2}}' > "$T/role.json"
refused "unknown role" "attn_z" --sensitivity "$T/role.json"
printf '{"sensitivity": {"output": -1}}' > "$T/neg.json"
refused "negative weight" "output" --sensitivity "$T/neg.json"
refused "missing file" "nothere.json" --sensitivity "$T/nothere.json"
refused "missing text" "nothere.txt" --calibrate "$T/nothere.txt"
# output weighted 1000 times the rest: output.weight gets more bytes than with uniform roles.
printf '{"sensitivity": {"output": 1000, "token_embd": 1, "attn_q": 1, "attn_k": 1, "attn_v": 1, "attn_output": 1, "ffn_gate": 1, "ffn_up": 1, "ffn_down": 1}}' > "$T/out.json"
"$cli" optimize "$model" --target-size 281120 --sensitivity "$T/out.json" --json > "$T/out-mix.json"
check "optimize with a sensitivity file" 0 $?
"$cli" optimize "$model" --target-size 281120 --uniform-roles --json > "$T/uni-mix.json"
check "optimize with uniform roles" 0 $?
py "a heavy output role gives output.weight more bytes" '
import json, sys
heavy, uniform = (json.load(open(f)) for f in sys.argv[1:3])
assert heavy["role_sensitivity"] == sys.argv[3], heavy["role_sensitivity"]
assert uniform["role_sensitivity"] == "uniform"
b = lambda doc: [t["bytes"] for t in doc["tensors"] if t["tensor"] == "output.weight"][0]
assert b(heavy) > b(uniform), (b(heavy), b(uniform))
' "$T/out-mix.json" "$T/uni-mix.json" "$T/out.json"

if [ "$llama" != llama ]; then
    out=$("$cli" optimize "$model" --target-size 304096 --calibrate "$text" 2>&1); rc=$?
    check "--calibrate without llama.cpp: exit 2" 2 "$rc"
    [ "$failures" -eq 0 ] && echo "all checks passed" || echo "$failures check(s) failed"
    exit $((failures > 0))
fi

# Calibrate at Q3_K_M's size, save, reuse.
TMPDIR=$T "$cli" optimize "$model" --target-size 281120 --calibrate "$text" --ctx 256 --chunks 16 --threads 2 \
    --save-sensitivity "$T/s260.json" --save-preset "$T/q3.preset.json" --json > "$T/cal.json" 2> "$T/cal.err"
check "optimize --calibrate" 0 $?
py "every role with free tensors is measured; sensitivity = divergence / predicted error" '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["role_sensitivity"] == "calibrated"
probes = doc["calibration"]["probes"]
assert len(probes) == 9, len(probes)
measured = [p for p in probes if p["measured"]]
names = {p["role"] for p in measured}
for role in ("output", "token_embd", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up"):
    assert role in names, (role, names)
ratio = [p["sensitivity"] * p["predicted_error"] / p["mean_kld"] for p in measured]
assert max(ratio) / min(ratio) < 1 + 1e-9, ratio
for p in probes:
    assert p["sensitivity"] > 0
saved = json.load(open(sys.argv[2]))
assert saved["sensitivity"] == doc["calibration"]["sensitivity"]
' "$T/cal.json" "$T/s260.json"
check "no temporary file left" "" "$(ls "$T" | grep -v -E '^(cal\.json|cal\.err|s260\.json|q3\.preset\.json|bad\.json|role\.json|neg\.json|out\.json|out-mix\.json|uni-mix\.json)$')"

"$cli" optimize "$model" --target-size 281120 --sensitivity "$T/s260.json" --json > "$T/again.json"
py "the saved calibration gives the same mix" '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert [(t["tensor"], t["type"]) for t in a["tensors"]] == [(t["tensor"], t["type"]) for t in b["tensors"]]
' "$T/cal.json" "$T/again.json"

# The point: lower mean KL divergence than the label at its size (evaluate, llama.cpp). The labels
# are quantized with the optimizer's rules (b4748), so the sizes compare.
"$cli" quantize "$model" "$T/Q3_K_M.gguf" Q3_K_M --rules b4748 > /dev/null; check "quantize Q3_K_M" 0 $?
"$cli" quantize "$model" "$T/Q5_K_M.gguf" Q5_K_M --rules b4748 > /dev/null; check "quantize Q5_K_M" 0 $?
check "Q3_K_M's size is the calibration's target" 281120 "$(stat -c %s "$T/Q3_K_M.gguf")"
"$cli" optimize "$model" --target-size "$(stat -c %s "$T/Q5_K_M.gguf")" --sensitivity "$T/s260.json" \
    --save-preset "$T/q5.preset.json" > /dev/null
check "optimize at Q5_K_M's size" 0 $?
TMPDIR=$T "$cli" evaluate "$model" "$T/Q3_K_M.gguf" "$T/Q5_K_M.gguf" --preset "$T/q3.preset.json" \
    --preset "$T/q5.preset.json" --text "$text" --ctx 256 --threads 2 --json > "$T/eval.json" 2> "$T/eval.err"
check "evaluate the mixes and the labels" 0 $?
py "calibrated mixes beat Q3_K_M and Q5_K_M at their sizes" '
import json, sys
rows = json.load(open(sys.argv[1]))["candidates"]
kld = {r["name"]: r["kld"]["mean"]["value"] for r in rows}
size = {r["name"]: r["bytes"] for r in rows}
print(kld, size)
assert size["q3.preset.json"] <= size["Q3_K_M.gguf"] and size["q5.preset.json"] <= size["Q5_K_M.gguf"]
assert kld["q3.preset.json"] < kld["Q3_K_M.gguf"]
assert kld["q5.preset.json"] < kld["Q5_K_M.gguf"]
' "$T/eval.json"
rm -f "$T"/Q?_K_M.gguf

# SIGTERM during the calibration: exit 143, nothing left behind.
mkdir -p "$T/stop"
TMPDIR=$T/stop "$cli" optimize "$model" --target-size 281120 --calibrate "$text" --ctx 256 --threads 1 \
    --save-sensitivity "$T/stop/s.json" > /dev/null 2>&1 &
pid=$!
sleep 3
kill -TERM $pid; wait $pid; check "SIGTERM: exit 143" 143 $?
check "SIGTERM: nothing left" "" "$(ls -A "$T/stop")"

[ "$failures" -eq 0 ] && echo "all checks passed" || echo "$failures check(s) failed"
exit $((failures > 0))
