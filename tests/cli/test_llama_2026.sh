#!/usr/bin/env bash
# The 2026-09 rule set against llama.cpp itself: for every golden model x every label of that
# llama-quantize x without/with the model's importance matrix (plus a few option cases), runs
# llama.cpp 0ad4a86's own llama-quantize (built by fetch-llama-quantize.sh from node-llama-cpp's
# sources against its prebuilt libraries) and `quantbench-cli quantize --rules 2026-09` with the same
# arguments, and requires byte-identical files (gguf_compare.py names any difference: metadata keys,
# types, values, tensor names, order, types, shapes, data), or both refusing with QuantBench leaving
# no file. Also checks that our label list and help lines are llama-quantize's.
# Usage: test_llama_2026.sh CLI GOLDEN_DIR REFERENCE_DIR EXTRA_MODELS_DIR [full|standard|quick]
set -u
CLI=$1; G=$2; REFDIR=$3; EXTRA=$4; MODE=${5:-full}
case "$MODE" in full|standard|quick) ;; *) echo "FAIL: unknown mode $MODE"; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
LQ=$REFDIR/llama-quantize
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0; runs=0; same=0; refused=0; knowns=0
# Differences understood and not fixed yet: exact compare output | why. A listed case that becomes
# identical, or differs otherwise, fails.
declare -A KNOWN=()
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
[ -x "$LQ" ] || { echo "FAIL: $LQ missing (packaging/llama-reference/fetch-llama-quantize.sh builds it)"; exit 1; }
start=$(date +%s)

# Labels and help lines: llama-quantize prints them in its usage text ("  15  or  Q4_K_M  :  4.58G, ...").
"$LQ" > "$T/usage.txt" 2>&1
"$CLI" labels --rules 2026-09 --json > "$T/labels.json" || fail "labels --json"
python3 - "$T/usage.txt" "$T/labels.json" <<'PY' || fails=$((fails + 1))
import json, re, sys
ref = []
for line in open(sys.argv[1]):
    m = re.match(r"^\s+(?:(\d+)\s+or\s+)?(\S+)\s*:\s(.*)$", line)
    if m and (m.group(1) or m.group(2) == "COPY"):
        ref.append((m.group(2), int(m.group(1)) if m.group(1) else None, m.group(3).strip()))
mine = [(l["name"], None if l["name"] == "COPY" else l["ftype"], l["llama_help"].strip()) for l in json.load(open(sys.argv[2]))]
if not ref or ref != mine:
    print("FAIL: labels differ from llama-quantize's:", [x for x in ref if x not in mine], [x for x in mine if x not in ref])
    sys.exit(1)
print(f"labels: all {len(ref)} of llama-quantize's, same ids, order and help lines")
PY
LABELS=$(python3 -c 'import json,sys; print(" ".join(l["name"] for l in json.load(open(sys.argv[1]))))' "$T/labels.json")

# One case: the same arguments to both tools.
run_case() {
    local model=$1 label=$2; shift 2
    local tag; tag=$(echo "$(basename "$model" .gguf)-$label-${*//$G/G}" | tr -c 'A-Za-z0-9_.-' '_')
    local ref=$T/ref.gguf mine=$T/mine.gguf
    rm -f "$ref" "$mine"
    runs=$((runs + 1))
    "$LQ" "$@" "$model" "$ref" "$label" 2 > "$T/ref.log" 2>&1; local rc_ref=$?
    "$CLI" quantize "$@" --rules 2026-09 --threads 2 "$model" "$mine" "$label" > "$T/mine.log" 2>&1; local rc_mine=$?
    if [ $rc_ref -ne 0 ]; then
        if [ $rc_mine -eq 0 ]; then
            fail "$tag: llama-quantize refused ($(grep -m1 -i 'error\|failed' "$T/ref.log" | tail -c 160)) but QuantBench wrote a file"
        elif [ -e "$mine" ]; then
            fail "$tag: refused but left $mine"
        else
            refused=$((refused + 1))
        fi
        return
    fi
    if [ $rc_mine -ne 0 ]; then
        fail "$tag: QuantBench refused ($(tail -n 1 "$T/mine.log")) but llama-quantize wrote a file"
        return
    fi
    local known=${KNOWN[$tag]:-}
    if out=$(python3 "$here/gguf_compare.py" "$mine" "$ref"); then
        same=$((same + 1))
        [ -z "$known" ] || fail "$tag: now identical: remove it from KNOWN"
    elif [ -n "$known" ] && [ "$out" = "${known%%|*}" ]; then
        echo "known difference: $tag: $out (${known#*|})"
        knowns=$((knowns + 1))
    else
        fail "$tag: $out"
    fi
}

imatrix_of() { echo "$G/imatrix/$(basename "$1" .gguf).imatrix.dat"; }

MODELS="tiny.f16 llama256.f16 llama256.bf16 llama288.f32 stories260K.f32 stories-d256.f32"
for m in $MODELS; do
    model=$G/models/$m.gguf
    labels=$LABELS
    # full: every label everywhere (about 12 CPU-minutes). standard (ctest's default): every label on
    # tiny and stories260K (every fallback), a spread of labels on the others. quick (sanitizers):
    # every label on tiny, the spread on stories260K only.
    spread="Q4_K_M Q3_K_S IQ2_M IQ3_XXS IQ4_XS Q2_0 MXFP4_MOE COPY"
    case "$MODE:$m" in
        full:*|*:tiny.f16) ;;
        standard:stories260K.f32) ;;
        quick:stories260K.f32|standard:*) labels=$spread ;;
        *) continue ;;
    esac
    for label in $labels; do
        run_case "$model" "$label"
        run_case "$model" "$label" --imatrix "$(imatrix_of "$model")"
    done
done

# IQ1_M on the models where b4748's and 0ad4a86's IQ1_M searches choose differently (in every mode:
# the standard spread above does not reach them).
for m in llama256.f16 llama256.bf16 llama288.f32; do
    case "$MODE" in full) ;; *) run_case "$G/models/$m.gguf" IQ1_M --imatrix "$(imatrix_of "$G/models/$m.gguf")" ;; esac
done

# The synthetic MoE model (stacked experts, shared expert, router), both with and without imatrix.
for label in $([ "$MODE" = quick ] && echo "Q4_K_M MXFP4_MOE IQ2_XS" || echo "$LABELS"); do
    run_case "$EXTRA/moe.f16.gguf" "$label"
done

# Options (same meaning in both tools).
tiny=$G/models/tiny.f16.gguf
im=$(imatrix_of "$tiny")
run_case "$tiny" Q4_K_M --pure
run_case "$tiny" Q4_K_M --pure --tensor-type attn_v=q8_0
run_case "$tiny" Q3_K_M --tensor-type 'ffn_(up|gate)=iq4_nl' --tensor-type attn=q5_0
run_case "$tiny" IQ2_XXS --pure --imatrix "$G/imatrix/tiny.f16.with-embd.imatrix.dat"
run_case "$tiny" Q4_K_M --prune-layers 0
run_case "$G/models/llama256.f16.gguf" Q5_K_M --prune-layers 2,5,3 --imatrix "$G/imatrix/llama256.f16.imatrix.dat"
run_case "$tiny" Q4_K_M --output-tensor-type q8_0 --token-embedding-type q3_k
run_case "$tiny" Q6_K --leave-output-tensor
run_case "$tiny" Q4_K_M --override-kv general.name=str:renamed --override-kv test.number=int:-7
run_case "$tiny" IQ2_XS --imatrix "$im" --exclude-weights ffn_down
run_case "$tiny" IQ3_S --imatrix "$im" --include-weights attn
run_case "$tiny" COPY --prune-layers 1
run_case "$EXTRA/moe.f16.gguf" Q4_K_M --imatrix "$EXTRA/moe.f16.imatrix.dat"
run_case "$EXTRA/moe.f16.gguf" IQ2_XS --imatrix "$EXTRA/moe.f16.imatrix.dat"
run_case "$EXTRA/moe.f16.gguf" MXFP4_MOE --prune-layers 1
# Requantizing: refused without --allow-requantize, equal with it.
"$LQ" "$tiny" "$T/q8.gguf" Q8_0 2 > /dev/null 2>&1 || fail "making a Q8_0 input"
run_case "$T/q8.gguf" Q4_K_M
run_case "$T/q8.gguf" Q4_K_M --allow-requantize

echo "$runs cases: $same byte-identical, $refused refused by both (QuantBench leaving no file), $knowns known differences, $fails failures;" \
     "$(( $(date +%s) - start )) s"
[ $fails -eq 0 ] && [ $same -gt 0 ]
