#!/bin/bash
# Reliability at the edges (issue #19), through quantbench-cli:
# - names that are not UTF-8 (a tensor name, a key) refused by inspect, quantize and analyze with
#   exit code 2, naming the byte offset (escaped string values: tst_gguf_corrupt);
# - a quantized input with a NaN block scale refused by quantize --allow-requantize and analyze;
# - too little free space (the writer's QB_TEST_FREE_BYTES hook) refused at once, exit code 1,
#   with both numbers and the folder, nothing written;
# - kill -9 at several points of a run leaves no visible file (O_TMPFILE: no file at all); with
#   the hidden-name fallback (QB_TEST_NO_O_TMPFILE=1) the next run removes the leftover, saying so.
# Usage: test_reliability.sh PATH/TO/quantbench-cli GOLDEN_DIR
# shellcheck source=../support/cli_checks.sh
source "$(dirname "$0")/../support/cli_checks.sh"
# Also end the background runs the kill -9 checks start.
trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
expect_empty_folder() {  # expect_empty_folder NAME DIR  (hidden files count too)
    if [ -z "$(ls -A "$2")" ]; then echo "ok   $1"; else echo "FAIL $1: $2 holds: $(ls -A "$2" | tr '\n' ' ')"; failures=$((failures + 1)); fi
}

# --- Names that are not UTF-8 -------------------------------------------------------------------
# Same-length byte patches of a golden model: one character of a tensor name, one of a key.
python3 - "$G/models/tiny.f16.gguf" "$T" <<'PY'
import sys
src, out = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
for old, new, name in [(b'output_norm.weight', b'output_n\xffrm.weight', 'bad-tensor-name'),
                       (b'general.architecture', b'general.\xc0rchitecture', 'bad-key')]:
    at = data.index(old)
    open(out + '/' + name + '.gguf', 'wb').write(data[:at] + new + data[at + len(old):])
    bad = next(i for i in range(len(new)) if new[i] >= 0x80)
    open(out + '/' + name + '.at', 'w').write(str(at + bad))
PY
for f in bad-tensor-name bad-key; do
    at=$(cat "$T/$f.at")
    "$CLI" inspect "$T/$f.gguf" > /dev/null 2> "$T/err"; check "inspect refuses $f" 2 $?
    expect_text "inspect names the offset ($f)" "$T/err" "byte $at: "
    expect_text "inspect says why ($f)" "$T/err" "is not valid UTF-8"
    "$CLI" quantize "$T/$f.gguf" "$T/out/o.gguf" Q8_0 > /dev/null 2> "$T/err"; check "quantize refuses $f" 2 $?
    expect_text "quantize names the offset ($f)" "$T/err" "byte $at: "
    "$CLI" analyze "$T/$f.gguf" --types q8_0 > /dev/null 2> "$T/err"; check "analyze refuses $f" 2 $?
    expect_text "analyze names the offset ($f)" "$T/err" "byte $at: "
done
"$CLI" inspect "$T/bad-tensor-name.gguf" 2> "$T/err" > /dev/null
expect_text "tensor name escaped in the message" "$T/err" 'output_n\xffrm.weight'

# --- NaN block scale in a quantized input ---------------------------------------------------------
python3 - "$G/pure/Q8_0.gguf" "$T/nan-scale.gguf" "$CLI" <<'PY'
import json, subprocess, sys
src, dst, cli = sys.argv[1:4]
doc = json.loads(subprocess.run([cli, 'inspect', src, '--json'], capture_output=True, check=True).stdout)
t = next(t for t in doc['tensors'] if t['type'] == 'q8_0' and t['name'] == 'blk.0.attn_q.weight')
data = bytearray(open(src, 'rb').read())
at = t['offset'] + 3 * 34          # block 3's scale d (Q8_0 blocks: d then 32 quants)
data[at:at + 2] = (0x7e00).to_bytes(2, 'little')   # F16 NaN
open(dst, 'wb').write(data)
PY
mkdir -p "$T/out"
"$CLI" quantize "$G/pure/Q8_0.gguf" "$T/out/ok.gguf" Q4_0 --allow-requantize > /dev/null 2> "$T/err"; check "requantize of the intact file" 0 $?
rm -f "$T/out/ok.gguf"
"$CLI" quantize "$T/nan-scale.gguf" "$T/out/o.gguf" Q4_0 --allow-requantize > /dev/null 2> "$T/err"; check "requantize refuses a NaN scale" 2 $?
expect_text "requantize names tensor and block" "$T/err" "tensor 'blk.0.attn_q.weight' has invalid data: q8_0 block 3 has scale d = NaN"
expect_empty_folder "refused requantize leaves nothing" "$T/out"
"$CLI" analyze "$T/nan-scale.gguf" --types q4_0 --tensor attn_q > /dev/null 2> "$T/err"; check "analyze refuses a NaN scale" 2 $?
expect_text "analyze names tensor and block" "$T/err" "q8_0 block 3 has scale d = NaN"

# --- Free space ------------------------------------------------------------------------------------
QB_TEST_FREE_BYTES=1000 "$CLI" quantize "$G/models/llama256.f16.gguf" "$T/out/o.gguf" Q4_K_M > "$T/log" 2> "$T/err"
check "too little free space: exit 1 (a runtime condition, the input is fine)" 1 $?
expect_text "free space: both numbers and the folder" "$T/err" "it needs "
expect_text "free space: available" "$T/err" "only 1000 bytes free in '$T/out'"
grep -q '^\[' "$T/log" && { echo "FAIL free space: work started"; failures=$((failures + 1)); } || echo "ok   refused before any tensor"
expect_empty_folder "free space: nothing written" "$T/out"

# --- kill -9 while writing -------------------------------------------------------------------------
"$CLI" make-model "$T/model.gguf" --layers 6 > /dev/null || exit 1
tensors=$("$CLI" inspect "$T/model.gguf" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tensors"]))')
# kill_at WRITTEN [ENV...]: start a run, SIGKILL it once WRITTEN tensors are written (0: at once).
kill_at() {
    local written=$1; shift
    env "$@" "$CLI" quantize "$T/model.gguf" "$T/out/o.gguf" Q4_K_M 1 > "$T/log" 2>&1 &
    local pid=$! waited=0
    while [ "$(grep -c '^\[' "$T/log")" -lt "$written" ] && [ $waited -lt 600 ]; do sleep 0.1; waited=$((waited + 1)); done
    [ "$written" -eq 0 ] && sleep 0.3
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    local rc=$?
    if grep -q '^wrote ' "$T/log"; then echo "FAIL kill after $written tensors: the run finished first"; failures=$((failures + 1)); rm -f "$T/out/o.gguf"; return 1; fi
    check "killed after $written of $tensors tensors" 137 $rc
}
# Three quarters, not the last tensors: those are small and a run can finish before the kill lands.
for n in 0 1 $((tensors / 2)) $((tensors * 3 / 4)); do
    kill_at $n && expect_empty_folder "kill -9 after $n tensors leaves no file at all (unnamed file)" "$T/out"
done
# The fallback: a hidden name, never a visible one, removed by the next run in that folder.
kill_at $((tensors / 2)) QB_TEST_NO_O_TMPFILE=1
visible=$(ls "$T/out"); hidden=$(ls -A "$T/out")
[ -z "$visible" ] && echo "ok   fallback: no visible file" || { echo "FAIL fallback: visible $visible"; failures=$((failures + 1)); }
case "$hidden" in .o.gguf.qbtmp-*.partial) echo "ok   fallback: hidden leftover $hidden" ;;
    *) echo "FAIL fallback: expected a hidden leftover, found '$hidden'"; failures=$((failures + 1)) ;; esac
"$CLI" quantize "$G/models/tiny.f16.gguf" "$T/out/next.gguf" Q8_0 > /dev/null 2> "$T/err"; check "next run" 0 $?
expect_text "next run says it removed the leftover" "$T/err" "removed '$T/out/$hidden', left by an interrupted run"
[ "$(ls -A "$T/out")" = "next.gguf" ] && echo "ok   leftover gone, output there" || { echo "FAIL after next run: $(ls -A "$T/out")"; failures=$((failures + 1)); }

[ $failures -eq 0 ] && echo "all passed" || echo "$failures failed"
[ $failures -eq 0 ]
