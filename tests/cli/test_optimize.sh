#!/bin/bash
# quantbench-cli optimize and quantize --target-size/--target-bpw on a golden model: the file
# is at most the target; the saved preset, the --tensor-type-file with the base label and
# quantize --target-size all write the same bytes; JSON keys; bad input exits 2.
# Usage: test_optimize.sh PATH/TO/quantbench-cli GOLDEN_DIR
# shellcheck source=../support/cli_checks.sh
source "$(dirname "$0")/../support/cli_checks.sh"
M=$G/models/stories-d256.f32.gguf
IM=$G/imatrix/stories-d256.f32.imatrix.dat

same() {  # same NAME FILE1 FILE2
    if cmp -s "$2" "$3"; then echo "ok   $1"; else echo "FAIL $1: $2 and $3 differ"; failures=$((failures + 1)); fi
}

"$CLI" quantize "$M" "$T/label.gguf" Q4_K_M --imatrix "$IM" >/dev/null
check "label" 0 $?
target=$(stat -c %s "$T/label.gguf")
"$CLI" optimize "$M" --target-size "$target" --imatrix "$IM" --save-preset "$T/mix.json" \
    --tensor-type-file "$T/types.txt" --print-command --threads 2 >"$T/opt.txt"
check "optimize" 0 $?
expect_text "reason per tensor" "$T/opt.txt" "error saved per KB"
expect_text "label comparison" "$T/opt.txt" "label Q4_K_M"
expect_text "command" "$T/opt.txt" "llama-quantize --tensor-type-file"
base=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["base_label"])' "$T/mix.json")

"$CLI" quantize "$M" "$T/preset.gguf" --preset "$T/mix.json" >/dev/null
check "quantize --preset" 0 $?
"$CLI" quantize "$M" "$T/file.gguf" "$base" --imatrix "$IM" --tensor-type-file "$T/types.txt" >/dev/null
check "quantize --tensor-type-file" 0 $?
"$CLI" quantize "$M" "$T/target.gguf" --target-size "$target" --imatrix "$IM" --threads 2 >/dev/null
check "quantize --target-size" 0 $?
same "preset gives the optimizer's file" "$T/preset.gguf" "$T/target.gguf"
same "tensor-type-file gives the optimizer's file" "$T/file.gguf" "$T/target.gguf"
size=$(stat -c %s "$T/target.gguf")
if [ "$size" -le "$target" ]; then echo "ok   within target ($size <= $target)"; else echo "FAIL $size > $target"; failures=$((failures + 1)); fi
expect_text "predicted size is the file's" "$T/opt.txt" "total: $size bytes"

# The other rule set: the optimizer, its preset and quantize --target-size all follow --rules b4748.
"$CLI" optimize "$M" --target-size "$target" --imatrix "$IM" --rules b4748 --save-preset "$T/mix-b4748.json" \
    --tensor-type-file "$T/types-b4748.txt" --threads 2 >"$T/opt-b4748.txt"
check "optimize --rules b4748" 0 $?
expect_text "rule set named" "$T/opt-b4748.txt" "rules b4748"
expect_text "preset records the rule set" "$T/mix-b4748.json" '"rule_set": "b4748"'
base=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["base_label"])' "$T/mix-b4748.json")
"$CLI" quantize "$M" "$T/preset-b4748.gguf" --preset "$T/mix-b4748.json" >/dev/null
"$CLI" quantize "$M" "$T/file-b4748.gguf" "$base" --rules b4748 --imatrix "$IM" --tensor-type-file "$T/types-b4748.txt" >/dev/null
"$CLI" quantize "$M" "$T/target-b4748.gguf" --target-size "$target" --rules b4748 --imatrix "$IM" --threads 2 >/dev/null
check "quantize --target-size --rules b4748" 0 $?
same "b4748: preset gives the optimizer's file" "$T/preset-b4748.gguf" "$T/target-b4748.gguf"
same "b4748: tensor-type-file gives the optimizer's file" "$T/file-b4748.gguf" "$T/target-b4748.gguf"
expect_text "b4748: predicted size is the file's" "$T/opt-b4748.txt" "total: $(stat -c %s "$T/target-b4748.gguf") bytes"

"$CLI" quantize "$M" "$T/bpw.gguf" --target-bpw 4.5 --tensor-type 'output\.weight=q8_0' >"$T/bpw.txt"
check "quantize --target-bpw with a pin" 0 $?
"$CLI" inspect "$T/bpw.gguf" --json >"$T/bpw.json"
python3 - "$T/bpw.json" <<'PY' && echo "ok   bpw and pin" || { echo "FAIL bpw and pin"; failures=$((failures + 1)); }
import json, sys
d = json.load(open(sys.argv[1]))
t = {x["name"]: x for x in d["tensors"]}
assert t["output.weight"]["type"] == "q8_0", t["output.weight"]
assert 8 * d["totals"]["tensor_bytes"] <= 4.5 * d["totals"]["parameters"] + 1e-9, d["totals"]
PY

"$CLI" optimize "$M" --target-bpw 5 --json >"$T/opt.json"
check "optimize --json" 0 $?
python3 - "$T/opt.json" <<'PY' && echo "ok   JSON keys" || { echo "FAIL JSON keys"; failures=$((failures + 1)); }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["rules"] == "2026-09", d["rules"]
assert {"file", "imatrix", "target", "base_label", "weighted", "tensors", "totals", "labels"} <= set(d), d.keys()
assert {"tensor", "type", "bytes", "error", "optimized", "reason"} <= set(d["tensors"][0])
assert d["totals"]["bits_per_weight"] <= 5
PY

"$CLI" optimize "$M" --target-size 100kB >"$T/out" 2>"$T/err"
check "infeasible target" 2 $?
expect_text "infeasible names the smallest size" "$T/err" "the smallest possible output is"
"$CLI" optimize "$M" --target-size 4.2XB 2>"$T/err"
check "bad unit" 2 $?
"$CLI" optimize "$M" 2>"$T/err"
check "no target" 2 $?
"$CLI" optimize "$M" --target-bpw 5 --pin 'ffn_up=iq2_xxs' 2>"$T/err"
check "impossible pin" 2 $?
expect_text "impossible pin named" "$T/err" "ffn_up=IQ2_XXS"
"$CLI" quantize "$M" "$T/x.gguf" --target-bpw 5 --pure 2>"$T/err"
check "target with --pure" 2 $?
[ ! -e "$T/x.gguf" ] && echo "ok   nothing written on refusal" || { echo "FAIL output written"; failures=$((failures + 1)); }

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
