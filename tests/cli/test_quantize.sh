#!/bin/bash
# quantbench-cli quantize / labels: exit codes (0 ok, 1 runtime failure, 2 bad input or usage),
# --dry-run output, refusals leaving no file, presets and --print-command.
# Usage: test_quantize.sh PATH/TO/quantbench-cli GOLDEN_DIR
# shellcheck source=../support/cli_checks.sh
source "$(dirname "$0")/../support/cli_checks.sh"

expect_no_file() {
    if [ -e "$2" ]; then echo "FAIL $1: $2 exists"; failures=$((failures + 1)); else echo "ok   $1"; fi
}

"$CLI" labels --rules b4748 >"$T/labels.txt"; check "labels" 0 $?
expect_text "labels lists Q4_K_M" "$T/labels.txt" "medium, balanced quality - recommended"
[ "$(grep -cE '^(Q|IQ|TQ|F|BF|COPY)' "$T/labels.txt")" = 36 ] && echo "ok   36 labels" || { echo "FAIL label count"; failures=$((failures + 1)); }
"$CLI" labels --rules b4748 --json >"$T/labels.json"; check "labels --json" 0 $?
# The JSON (written by nlohmann::json) lists the text table's labels, in its order, with the documented keys.
python3 - "$T/labels.json" "$T/labels.txt" <<'PY' && echo "ok   labels --json matches the table" || failures=$((failures + 1))
import json, sys
labels = json.load(open(sys.argv[1]))
names = [line.split()[0] for line in open(sys.argv[2]).read().splitlines() if not line.startswith(("rule set ", "label "))]
keys = ["name", "ftype", "base_type", "alias_of", "needs_imatrix", "llama_help", "description"]
def fail(m): print("FAIL labels --json: " + m); sys.exit(1)
if [l["name"] for l in labels] != names: fail("names differ from the table")
if any(list(l) != keys for l in labels): fail("keys are not %s" % keys)
byname = {l["name"]: l for l in labels}
if byname["Q4_K"]["alias_of"] != "Q4_K_M" or byname["Q4_K_M"]["alias_of"] is not None: fail("alias_of")
if byname["Q4_K_M"]["ftype"] != 15 or byname["Q4_K_M"]["base_type"] != "q4_K": fail("Q4_K_M row %s" % byname["Q4_K_M"])
if not byname["IQ2_XS"]["needs_imatrix"] or byname["Q8_0"]["needs_imatrix"]: fail("needs_imatrix")
PY
"$CLI" labels >"$T/labels26.txt"; check "labels (default rule set 2026-09)" 0 $?
expect_text "labels name the rule set" "$T/labels26.txt" "rule set 2026-09: llama.cpp 0ad4a86 (2026-09-28)"
[ "$(grep -cE '^(Q|IQ|TQ|F|BF|COPY|MXFP4)' "$T/labels26.txt")" = 39 ] && echo "ok   39 labels in 2026-09" || { echo "FAIL 2026-09 label count"; failures=$((failures + 1)); }
"$CLI" quantize "$G/models/tiny.f16.gguf" "$T/o.gguf" Q2_0 --rules b4748 2>"$T/err"; check "2026-09 label under b4748" 2 $?
expect_text "2026-09 label under b4748 message" "$T/err" "unknown label 'Q2_0' for rule set b4748"
"$CLI" quantize "$G/models/tiny.f16.gguf" "$T/o.gguf" Q4_K_M --rules 2025 2>"$T/err"; check "unknown rule set" 2 $?
"$CLI" quantize "$G/models/tiny.f16.gguf" "$T/o.gguf" Q4_K_M --prune-layers 1,x 2>"$T/err"; check "bad --prune-layers" 2 $?
expect_text "bad --prune-layers message" "$T/err" "invalid layer id 'x'"
"$CLI" quantize "$G/models/tiny.f16.gguf" "$T/o.gguf" Q4_K_M --prune-layers 1 --rules b4748 2>"$T/err"; check "--prune-layers under b4748" 2 $?
"$CLI" quantize "$G/models/tiny.f16.gguf" "$T/o.gguf" Q4_K_M --dry-run >"$T/dry26.txt"; check "dry run, default rules" 0 $?
expect_text "dry run names the rule set" "$T/dry26.txt" "[2026-09] "
[ ! -e "$T/o.gguf" ] && echo "ok   refusals and dry runs left no file" || { echo "FAIL a file was left"; failures=$((failures + 1)); }

"$CLI" quantize --rules b4748 --help >"$T/help.txt"; check "quantize --help" 0 $?
expect_text "help describes the labels" "$T/help.txt" "Q4_K_M    15  medium, balanced quality - recommended"
"$CLI" quantize --rules b4748 >/dev/null 2>&1; check "no arguments" 2 $?
"$CLI" quantize --rules b4748 "$G/models/tiny.f16.gguf" "$T/o.gguf" Q9_K 2>"$T/err"; check "unknown label" 2 $?
expect_text "unknown label message" "$T/err" "unknown label 'Q9_K'"
"$CLI" quantize --rules b4748 "$G/models/tiny.f16.gguf" "$T/o.gguf" Q4_K_M --bogus >/dev/null 2>&1; check "unknown option" 2 $?
"$CLI" quantize --rules b4748 "$G/models/tiny.f16.gguf" "$T/o.gguf" Q4_K_M --include-weights a --exclude-weights b 2>/dev/null; check "include and exclude together" 2 $?
"$CLI" quantize --rules b4748 "$T/missing.gguf" "$T/o.gguf" Q4_K_M 2>/dev/null; check "missing input" 2 $?

"$CLI" quantize --rules b4748 "$G/models/llama256.f16.gguf" "$T/o.gguf" IQ2_XS 2>"$T/err"; check "IQ2_XS without imatrix" 2 $?
expect_text "IQ2_XS refusal" "$T/err" "Please do not use IQ1_S, IQ1_M, IQ2_S, IQ2_XXS, IQ2_XS or Q2_K_S quantization without an importance matrix"
expect_no_file "refusal leaves no file" "$T/o.gguf"
"$CLI" quantize --rules b4748 "$G/models/llama256.f16.gguf" "$T/o.gguf" IQ2_M 2>"$T/err"; check "IQ2_M without imatrix" 2 $?
expect_text "IQ2_M refusal" "$T/err" "Missing importance matrix for tensor blk.0.attn_k.weight in a very low-bit quantization"
"$CLI" quantize --rules b4748 "$G/models/stories260K.f32.gguf" "$T/o.gguf" Q4_0 2>"$T/err"; check "Q4_0 on stories260K" 2 $?
expect_text "Q4_0 refusal" "$T/err" "Unsupported tensor size encountered"
expect_no_file "no file after refusals" "$T/o.gguf"

cp "$G/models/tiny.f16.gguf" "$T/in.gguf"
"$CLI" quantize --rules b4748 "$T/in.gguf" "$T/in.gguf" Q8_0 2>"$T/err"; check "write over input" 2 $?
expect_text "write over input message" "$T/err" "refusing to write over the input"
cmp -s "$T/in.gguf" "$G/models/tiny.f16.gguf" && echo "ok   input untouched" || { echo "FAIL input changed"; failures=$((failures + 1)); }

"$CLI" quantize --rules b4748 "$G/models/stories260K.f32.gguf" "$T/o.gguf" Q4_K_M --dry-run \
    --imatrix "$G/imatrix/stories260K.f32.imatrix.dat" >"$T/dry.txt"; check "dry run" 0 $?
[ "$(grep -c '^\[ *[0-9]*/  48\]' "$T/dry.txt")" = 48 ] && echo "ok   dry run lists 48 tensors" || { echo "FAIL dry run tensor lines"; failures=$((failures + 1)); }
expect_text "dry run fallback reason" "$T/dry.txt" "row length 172 not a multiple of 256 -> fallback Q5_0, still not a multiple -> F16"
expect_text "dry run output rule" "$T/dry.txt" "output.weight"
expect_text "dry run sizes" "$T/dry.txt" "quant size ="
expect_no_file "dry run writes nothing" "$T/o.gguf"

"$CLI" quantize --rules b4748 "$G/models/llama256.f16.gguf" "$T/o.gguf" Q4_K_M --tensor-type 'ffn_down=q8_0' --dry-run >"$T/dry2.txt"; check "dry run with override" 0 $?
expect_text "override reason" "$T/dry2.txt" "your override ffn_down=Q8_0"

# Patterns are lower-cased as llama-quantize does; --tensor-type and --tensor-type-file entries keep
# their command-line order (the first match wins).
"$CLI" quantize --rules b4748 "$G/models/llama256.f16.gguf" "$T/o.gguf" Q4_K_M --tensor-type 'FFN_DOWN=Q8_0' --dry-run >"$T/dry3.txt"; check "upper-case pattern" 0 $?
expect_text "upper-case pattern is lower-cased" "$T/dry3.txt" "your override ffn_down=Q8_0"
printf 'ffn_down=q6_k\n' >"$T/types.txt"
"$CLI" quantize --rules b4748 "$G/models/llama256.f16.gguf" "$T/o.gguf" Q4_K_M --tensor-type-file "$T/types.txt" --tensor-type 'ffn_down=q8_0' --dry-run >"$T/dry4.txt"; check "file then option" 0 $?
expect_text "file entry first wins" "$T/dry4.txt" "your override ffn_down=Q6_K"
"$CLI" quantize --rules b4748 "$G/models/llama256.f16.gguf" "$T/o.gguf" Q4_K_M --tensor-type 'ffn_down=q8_0' --tensor-type-file "$T/types.txt" --dry-run >"$T/dry5.txt"; check "option then file" 0 $?
expect_text "option first wins" "$T/dry5.txt" "your override ffn_down=Q8_0"

"$CLI" quantize --rules b4748 "$G/models/llama256.f16.gguf" "$T/o.gguf" Q5_K_M --tensor-type 'attn_q=q8_0' --pure \
    --save-preset "$T/p.json" --dry-run >"$T/a.txt"; check "save preset" 0 $?
"$CLI" quantize --rules b4748 "$G/models/llama256.f16.gguf" "$T/o.gguf" --preset "$T/p.json" --dry-run >"$T/b.txt"; check "use preset" 0 $?
grep -v '^preset saved' "$T/a.txt" | cmp -s - "$T/b.txt" && echo "ok   preset reproduces the dry run" || { echo "FAIL preset dry run differs"; failures=$((failures + 1)); }
"$CLI" quantize --rules b4748 in.gguf out.gguf --preset "$T/p.json" --print-command --threads 4 >"$T/cmd.txt"; check "print command" 0 $?
expect_text "command text" "$T/cmd.txt" "llama-quantize --pure --tensor-type attn_q=q8_0 in.gguf out.gguf Q5_K_M 4"
# --prune-layers is part of the mix: --save-preset records it, --print-command emits it, and the
# preset reproduces the pruned file byte for byte (test_llama_2026.sh compares pruning with llama.cpp).
"$CLI" quantize "$G/models/tiny.f16.gguf" "$T/pruned.gguf" Q4_K_M --prune-layers 1 --save-preset "$T/pruned.json" \
    >/dev/null; check "prune with --save-preset" 0 $?
expect_text "preset records pruned layers" "$T/pruned.json" '"prune_layers": ['
"$CLI" quantize "$G/models/tiny.f16.gguf" "$T/pruned2.gguf" --preset "$T/pruned.json" >/dev/null; check "pruned preset" 0 $?
cmp -s "$T/pruned.gguf" "$T/pruned2.gguf" && echo "ok   pruned preset reproduces the file" || { echo "FAIL pruned preset output differs"; failures=$((failures + 1)); }
"$CLI" quantize "$G/models/tiny.f16.gguf" "$T/unpruned.gguf" Q4_K_M >/dev/null
cmp -s "$T/pruned.gguf" "$T/unpruned.gguf" && { echo "FAIL pruning changed nothing"; failures=$((failures + 1)); } || echo "ok   pruning changes the file"
"$CLI" quantize in.gguf out.gguf --preset "$T/pruned.json" --print-command >"$T/cmd2.txt"; check "print command (pruned preset)" 0 $?
expect_text "command carries --prune-layers" "$T/cmd2.txt" "llama-quantize --prune-layers 1 in.gguf out.gguf Q4_K_M"
"$CLI" quantize in.gguf out.gguf Q4_K_M --prune-layers 3,1 --print-command >"$T/cmd3.txt"; check "print command --prune-layers" 0 $?
expect_text "command carries sorted layers" "$T/cmd3.txt" "llama-quantize --prune-layers 1,3 in.gguf out.gguf Q4_K_M"
"$CLI" quantize --rules b4748 "$G/models/tiny.f16.gguf" "$T/o.gguf" --preset "$T/pruned.json" 2>"$T/err"; check "pruned preset under --rules b4748" 2 $?
expect_no_file "pruned preset under b4748 leaves no file" "$T/o.gguf"
echo '{"format":"quantbench-preset","version":1,"base_label":"Q4_K_M","rules":[{"pattern":"x","type":"nope"}]}' >"$T/bad.json"
"$CLI" quantize --rules b4748 "$G/models/tiny.f16.gguf" "$T/o.gguf" --preset "$T/bad.json" 2>"$T/err"; check "bad preset" 2 $?
expect_text "bad preset names the field" "$T/err" "rules[0].type"
echo '{"format":"quantbench-preset","version":1,"base_label":"Q4_K_M","tensor_types":{"blk.99.ffn_up.weight":"Q8_0"}}' >"$T/other.json"
"$CLI" quantize --rules b4748 "$G/models/tiny.f16.gguf" "$T/o.gguf" --preset "$T/other.json" 2>"$T/err"; check "preset for another model" 2 $?
expect_text "preset for another model names the tensor" "$T/err" "tensor_types names tensor 'blk.99.ffn_up.weight'"
expect_no_file "preset for another model leaves no file" "$T/o.gguf"
# A preset or type file that never ends (a pipe, /dev/zero) is refused after 16 MiB, not read for ever.
timeout 60 "$CLI" quantize --rules b4748 "$G/models/tiny.f16.gguf" "$T/o.gguf" --preset <(yes) 2>"$T/err"; check "endless preset" 2 $?
expect_text "endless preset is too large" "$T/err" "too large for a preset (over 16 MiB)"
timeout 60 "$CLI" quantize --rules b4748 "$G/models/tiny.f16.gguf" "$T/o.gguf" Q4_0 --tensor-type-file /dev/zero 2>"$T/err"; check "endless type file" 2 $?
expect_text "endless type file is too large" "$T/err" "--tensor-type-file /dev/zero: larger than 16 MiB"

"$CLI" quantize --rules b4748 "$G/models/llama256.f16.gguf" "$T/o.gguf" Q8_0 2 >"$T/run.txt"; check "quantize Q8_0" 0 $?
expect_text "progress line" "$T/run.txt" "converting to q8_0"
want=$(grep -o '"file_bytes": *[0-9]*' "$G/mixes/llama256.f16/Q8_0.json" | grep -o '[0-9]*$')
[ "$(stat -c %s "$T/o.gguf")" = "$want" ] && echo "ok   output size equals llama-quantize's" || { echo "FAIL output size"; failures=$((failures + 1)); }

"$CLI" quantize --rules b4748 "$G/models/llama256.f16.gguf" "$T/no/such/dir/o.gguf" Q8_0 >/dev/null 2>&1; check "output folder missing" 2 $?
# A full disk (file size limit, SIGXFSZ ignored) is a runtime failure: exit 1, nothing left behind.
mkdir "$T/full"
(trap '' XFSZ; ulimit -f 1000; exec "$CLI" quantize --rules b4748 "$G/models/llama256.f16.gguf" "$T/full/o.gguf" Q8_0 >/dev/null 2>"$T/err"); check "disk full" 1 $?
[ -z "$(ls -A "$T/full")" ] && echo "ok   disk full leaves no file" || { echo "FAIL files left: $(ls "$T/full")"; failures=$((failures + 1)); }

mkdir "$T/ks"
"$CLI" quantize --rules b4748 "$G/models/tiny.f16.gguf" "$T/ks/o.gguf" Q8_0 --keep-split >/dev/null; check "keep split" 0 $?
[ "$(ls "$T/ks")" = "o-00001-of-00001.gguf" ] && echo "ok   keep-split names its output like llama-quantize" || { echo "FAIL keep-split output: $(ls "$T/ks")"; failures=$((failures + 1)); }

# Interrupted while writing (SIGTERM; a shell's background job ignores SIGINT): exit 128+15, nothing
# left behind, not even the hidden temporary file. The signal arrives once the second tensor is
# written, while the 62 MB token_embd is being quantized to IQ3_S on one thread (about 15 s), so
# it is honoured part way through that tensor.
mkdir "$T/int"
"$CLI" make-model "$T/big.gguf" --layers 1 >/dev/null; check "make-model" 0 $?
"$CLI" quantize --rules b4748 "$T/big.gguf" "$T/int/o.gguf" IQ3_S --threads 1 >"$T/int.txt" 2>"$T/int.err" &
pid=$!
for _ in $(seq 1 2400); do grep -q '^\[   2/' "$T/int.txt" 2>/dev/null && break; sleep 0.05; done
kill -TERM "$pid"; wait "$pid"; check "interrupted quantization" 143 $?
expect_text "interruption message" "$T/int.err" "interrupted (signal 15): no output was written"
[ -z "$(ls -A "$T/int")" ] && echo "ok   interruption leaves no file" || { echo "FAIL files left: $(ls -A "$T/int")"; failures=$((failures + 1)); }

echo "$failures failure(s)"
[ "$failures" = 0 ]
