#!/bin/bash
# quantbench-cli quantize IN --labels ...: several outputs in one pass. Each output equals its
# single-label run byte for byte; a refused label is reported before any work and the others go
# on (exit 2) unless --fail-fast (nothing written); a full disk under one output removes only that
# output (exit 1); SIGTERM leaves no file; the progress lines say what each tensor fed.
# Usage: test_quantize_many.sh PATH/TO/quantbench-cli GOLDEN_DIR
# shellcheck source=../support/cli_checks.sh
source "$(dirname "$0")/../support/cli_checks.sh"
IN=$G/models/llama256.f16.gguf

expect_files() {  # expect_files NAME DIR "sorted names"
    local got
    got=$(LC_ALL=C ls -A "$2" | tr '\n' ' ' | sed 's/ $//')
    if [ "$got" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: files '$got', expected '$3'"; failures=$((failures + 1)); fi
}
same_bytes() {  # same_bytes NAME A B
    if cmp -s "$2" "$3"; then echo "ok   $1"; else echo "FAIL $1: $2 differs from $3"; failures=$((failures + 1)); fi
}

# Single-label runs to compare with.
mkdir "$T/single"
for L in Q4_K_S Q4_K_M Q6_K; do
    "$CLI" quantize "$IN" "$T/single/$L.gguf" $L --threads 2 >/dev/null || { echo "FAIL single run $L"; failures=$((failures + 1)); }
done

# A preset restating Q4_K_M is an output of its own, named after the preset file.
cat >"$T/mine.json" <<'JSON'
{ "format": "quantbench-preset", "version": 1, "base_label": "Q4_K_M" }
JSON
mkdir "$T/m"
"$CLI" quantize "$IN" --labels Q4_K_S,Q4_K_M,Q6_K,IQ2_XS --preset "$T/mine.json" --out "$T/m/{model}-{label}.gguf" \
    --threads 2 >"$T/m.txt" 2>"$T/m.err"
check "one pass, one label refused" 2 $?
expect_text "refusal named" "$T/m.err" "refused: IQ2_XS: this quantization requires an importance matrix"
# The refusal comes before any work: it is the first thing on stderr and the plan lists 4 outputs.
expect_text "refusal before work" "$T/m.txt" "-> 4 outputs in one pass (1 refused)"
expect_files "refused label leaves no file, the others exist" "$T/m" \
    "llama256.f16-Q4_K_M.gguf llama256.f16-Q4_K_S.gguf llama256.f16-Q6_K.gguf llama256.f16-mine.gguf"
for L in Q4_K_S Q4_K_M Q6_K; do same_bytes "$L equals its single run" "$T/m/llama256.f16-$L.gguf" "$T/single/$L.gguf"; done
same_bytes "preset output equals the single Q4_K_M run" "$T/m/llama256.f16-mine.gguf" "$T/single/Q4_K_M.gguf"
expect_text "progress line: what a tensor fed" "$T/m.txt" \
    "blk.7.attn_v.weight → q4_K (Q4_K_S), q6_K (Q4_K_M, Q6_K, mine)"
expect_text "progress line: shared type" "$T/m.txt" "blk.7.ffn_up.weight → q4_K (Q4_K_S, Q4_K_M, mine), q6_K (Q6_K)"
expect_text "progress line: copies" "$T/m.txt" "blk.7.ffn_norm.weight → f32 copied (all)"
expect_text "summary per output" "$T/m.txt" "Q4_K_M     written"
expect_text "summary of refused output" "$T/m.txt" "IQ2_XS     refused"
expect_text "work saved" "$T/m.txt" "distinct quantizations instead of 232 in single runs"
expect_text "outputs counted" "$T/m.txt" "4 of 5 outputs written"

mkdir "$T/ff"
"$CLI" quantize "$IN" --labels Q4_K_S,IQ2_XS --out "$T/ff/{label}.gguf" --fail-fast >"$T/ff.txt" 2>"$T/ff.err"
check "fail-fast with a refused label" 2 $?
expect_text "fail-fast message" "$T/ff.err" "--fail-fast: 1 of 2 outputs refused; nothing was written"
expect_files "fail-fast writes nothing" "$T/ff" ""

"$CLI" quantize "$IN" --labels Q4_K_S,Q6_K --out "$T/same.gguf" 2>"$T/err"; check "pattern without {label}" 2 $?
expect_text "pattern message" "$T/err" "has no {label}"
"$CLI" quantize "$IN" "$T/o.gguf" --labels Q4_K_S 2>/dev/null; check "OUT with --labels" 2 $?
"$CLI" quantize "$IN" --labels Q4_K_S,Q9_K 2>"$T/err"; check "unknown label in the list" 2 $?
expect_text "unknown label message" "$T/err" "unknown label 'Q9_K'"
"$CLI" quantize "$IN" 2>/dev/null; check "neither OUT nor --labels" 2 $?

# The disk fills up under the larger output only (RLIMIT_FSIZE with SIGXFSZ ignored: writes fail
# with EFBIG, as on a full disk): Q8_0 fails and its temporary file is removed, Q4_K_S completes.
mkdir "$T/full"
limit_kib=$(( $(stat -c %s "$T/single/Q4_K_S.gguf") / 1024 + 4 ))
( trap '' XFSZ; ulimit -f "$limit_kib"; exec "$CLI" quantize "$IN" --labels Q8_0,Q4_K_S --out "$T/full/{label}.gguf" \
    --threads 2 ) >"$T/full.txt" 2>"$T/full.err"
check "full disk under one output" 1 $?
expect_files "only the completed output remains" "$T/full" "Q4_K_S.gguf"
same_bytes "completed output intact" "$T/full/Q4_K_S.gguf" "$T/single/Q4_K_S.gguf"
expect_text "failed output named" "$T/full.txt" "Q8_0       failed"
expect_text "completed output named" "$T/full.txt" "Q4_K_S     written"

# SIGTERM part way (a shell's background job ignores SIGINT): exit 143, no file left, not even a
# temporary one. The signal arrives once the second tensor is done, while the 62 MB token_embd is
# being quantized to IQ3_S on one thread.
mkdir "$T/int"
"$CLI" make-model "$T/big.gguf" --layers 1 >/dev/null; check "make-model" 0 $?
"$CLI" quantize "$T/big.gguf" --labels Q8_0,IQ3_S --out "$T/int/{label}.gguf" --threads 1 >"$T/int.txt" 2>"$T/int.err" &
pid=$!
for _ in $(seq 1 2400); do grep -q '^\[   2/' "$T/int.txt" 2>/dev/null && break; sleep 0.05; done
kill -TERM "$pid"; wait "$pid"; check "interrupted" 143 $?
expect_text "interruption message" "$T/int.err" "interrupted (signal 15): only the outputs listed as written exist"
expect_files "interruption leaves no file" "$T/int" ""

echo "$failures failure(s)"
[ "$failures" = 0 ]
