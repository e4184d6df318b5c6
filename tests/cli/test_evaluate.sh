#!/usr/bin/env bash
# quantbench-cli evaluate against llama.cpp's own llama-perplexity, built from the same fetched
# llama.cpp (packaging/llama-reference/fetch-llama.sh), on the golden stories models and text:
#   - for a Q4_K_M file (quantized by our byte-identical quantizer), PPL, ΔPPL, mean/median/p99/
#     max KLD, RMS Δp and same-top % equal llama-perplexity --kl-divergence's to 4 significant
#     digits (within its printed precision);
#   - the base against itself: |mean KLD| below the uint16 packing's noise, same top 100 %;
#   - labels quantized on the fly: every KLD positive and Q2_K > Q3_K_M > Q4_K_M > Q6_K > Q8_0;
#     stories260K evaluates too; no temporary file is left behind;
#   - refusals (another model's candidate, a text shorter than two contexts, unreadable files)
#     exit 2 naming what; SIGTERM stops with 143 and leaves no temporary file.
# Usage: test_evaluate.sh QUANTBENCH_CLI LLAMA_PERPLEXITY GOLDEN_DIR
set -uo pipefail
cli=$1 ppl=$2 golden=$3
d256=$golden/models/stories-d256.f32.gguf
s260=$golden/models/stories260K.f32.gguf
text=$golden/text/stories-sample.txt
# shellcheck source=../support/script_checks.sh
source "$(dirname "$0")/../support/script_checks.sh"
command -v python3 > /dev/null || { echo "FAIL python3 is needed to check the JSON output"; exit 1; }
[ -x "$ppl" ] || { echo "FAIL no llama-perplexity at $ppl"; exit 1; }
mkdir -p "$T/tmp"

# The reference: llama-perplexity's two runs (base log-probabilities, then the candidate).
"$cli" quantize "$d256" "$T/q4km.gguf" Q4_K_M > /dev/null; check "quantize Q4_K_M" 0 $?
"$ppl" -m "$d256" -f "$text" -c 256 -t 2 --chunks 8 --kl-divergence-base "$T/base.kld" > "$T/ref-base.txt" 2>&1
check "llama-perplexity base run" 0 $?
"$ppl" -m "$T/q4km.gguf" -f "$text" -c 256 -t 2 --kl-divergence-base "$T/base.kld" --kl-divergence > "$T/ref.txt" 2>&1
check "llama-perplexity --kl-divergence run" 0 $?

TMPDIR=$T/tmp "$cli" evaluate "$d256" "$T/q4km.gguf" "$d256" --labels Q2_K,Q3_K_M,Q4_K_M,Q6_K,Q8_0 \
    --text "$text" --ctx 256 --threads 2 --chunks 8 --json > "$T/eval.json" 2> "$T/eval.err"
check "evaluate d256 exit" 0 $?
grep -q "chunk 8/8, .* tokens/s, ETA" "$T/eval.err"; check "progress line per chunk" 0 $?
check "no temporary file left (d256)" "" "$(ls -A "$T/tmp")"

py "numbers equal llama-perplexity's" '
import json, re, sys
ref = open(sys.argv[1], encoding="utf-8").read()
refbase = open(sys.argv[3], encoding="utf-8").read()
ev = json.load(open(sys.argv[2]))
c = ev["candidates"][0]
def num(pattern, text=ref):
    m = re.search(pattern, text)
    if not m: print("  missing in llama-perplexity output:", pattern); sys.exit(1)
    return float(m.group(1))
# (name, ours, reference, printed decimals of the reference)
pairs = [
    ("base PPL (Final estimate)", ev["ppl_base"]["value"], num(r"Final estimate: PPL = ([0-9.]+)", refbase), 4),
    ("base PPL +/-", ev["ppl_base"]["uncertainty"], num(r"Final estimate: PPL = [0-9.]+ \+/- ([0-9.]+)", refbase), 5),
    ("Mean PPL(Q)", c["ppl"]["value"], num(r"Mean PPL\(Q\)\s*:\s*([-0-9.]+)"), 6),
    ("PPL(Q) +/-", c["ppl"]["uncertainty"], num(r"Mean PPL\(Q\)\s*:\s*[-0-9.]+ ± +([-0-9.]+)"), 6),
    ("Mean PPL(base)", c["ppl_base"]["value"], num(r"Mean PPL\(base\)\s*:\s*([-0-9.]+)"), 6),
    ("PPL(Q)-PPL(base)", c["ppl_difference"]["value"], num(r"Mean PPL\(Q\)-PPL\(base\)\s*:\s*([-0-9.]+)"), 6),
    ("ln(PPL(Q)/PPL(base))", c["ln_ppl_ratio"]["value"], num(r"Mean ln\(PPL\(Q\)/PPL\(base\)\)\s*:\s*([-0-9.]+)"), 6),
    ("Mean KLD", c["kld"]["mean"]["value"], num(r"Mean    KLD:\s*([-0-9.]+)"), 6),
    ("KLD +/-", c["kld"]["mean"]["uncertainty"], num(r"Mean    KLD:\s*[-0-9.]+ ± +([-0-9.]+)"), 6),
    ("Maximum KLD", c["kld"]["maximum"], num(r"Maximum KLD:\s*([-0-9.]+)"), 6),
    ("99.9% KLD", c["kld"]["p99_9"], num(r"99\.9%   KLD:\s*([-0-9.]+)"), 6),
    ("99.0% KLD", c["kld"]["p99"], num(r"99\.0%   KLD:\s*([-0-9.]+)"), 6),
    ("90.0% KLD", c["kld"]["p90"], num(r"90\.0%   KLD:\s*([-0-9.]+)"), 6),
    ("Median KLD", c["kld"]["median"], num(r"Median  KLD:\s*([-0-9.]+)"), 6),
    ("RMS dp %", 100 * c["delta_p"]["rms"]["value"], num(r"RMS Δp    :\s*([-0-9.]+)"), 3),
    ("Same top p %", 100 * c["same_top"]["value"], num(r"Same top p:\s*([-0-9.]+)"), 3),
]
bad = 0
for name, ours, theirs, decimals in pairs:
    # 4 significant digits, or the reference printed fewer: half a unit of its last digit.
    tol = max(5e-5 * abs(theirs), 0.5 * 10 ** -decimals + 1e-12)
    ok = abs(ours - theirs) <= tol
    print("  %-26s ours %.8g  llama-perplexity %.8g  %s" % (name, ours, theirs, "" if ok else "DIFFERS"))
    bad += not ok
sys.exit(1 if bad else 0)
' "$T/ref.txt" "$T/eval.json" "$T/ref-base.txt"

py "rule set recorded: 2026-09 by default, per candidate (null for files)" '
import json, sys
d = json.load(open(sys.argv[1]))
r = {x["name"]: x["rule_set"] for x in d["candidates"]}
want = {"q4km.gguf": None, "stories-d256.f32.gguf": None, "Q2_K": "2026-09", "Q3_K_M": "2026-09", "Q4_K_M": "2026-09",
        "Q6_K": "2026-09", "Q8_0": "2026-09"}
print("  rule_set %s, candidates %s" % (d["rule_set"], r))
sys.exit(0 if d["rule_set"] == "2026-09" and r == want else 1)
' "$T/eval.json"

py "base against itself: KLD 0, same top 100 %" '
import json, sys
c = {x["name"]: x for x in json.load(open(sys.argv[1]))["candidates"]}["stories-d256.f32.gguf"]
# The base is read back from its uint16 packing (a 16-nat range in 65535 steps, 2.4e-4 nats):
# the rounding, not the model, leaves |KLD| of a few 1e-7.
print("  mean KLD %.3g, max %.3g, same top %.4f %%" % (c["kld"]["mean"]["value"], c["kld"]["maximum"], 100 * c["same_top"]["value"]))
sys.exit(0 if abs(c["kld"]["mean"]["value"]) < 1e-5 and c["kld"]["maximum"] < 1e-3 and c["same_top"]["value"] == 1.0 else 1)
' "$T/eval.json"

py "labels: positive KLD, more for fewer bits" '
import json, sys
c = {x["name"]: x for x in json.load(open(sys.argv[1]))["candidates"]}
order = ["Q2_K", "Q3_K_M", "Q4_K_M", "Q6_K", "Q8_0"]
kld = [c[l]["kld"]["mean"]["value"] for l in order]
bpw = [c[l]["bits_per_weight"] for l in order]
for l, k, b in zip(order, kld, bpw): print("  %-7s %.3f bpw  mean KLD %.6f" % (l, b, k))
ok = all(k > 0 for k in kld) and all(kld[i] > kld[i + 1] for i in range(4)) and all(bpw[i] < bpw[i + 1] for i in range(4))
# The on-the-fly Q4_K_M and the Q4_K_M file are the same bytes: the same numbers.
ok = ok and c["Q4_K_M"]["kld"]["mean"]["value"] == c["q4km.gguf"]["kld"]["mean"]["value"]
sys.exit(0 if ok else 1)
' "$T/eval.json"

# stories260K (trained context 2048; -c 128 here; 172-wide rows, so only the k-quant labels with
# their fallbacks apply) with labels on the fly.
TMPDIR=$T/tmp "$cli" evaluate "$s260" --labels Q2_K,Q4_K_M,Q6_K --text "$text" --ctx 128 --threads 2 --chunks 6 --csv \
    > "$T/s260.csv" 2> "$T/s260.err"
check "evaluate stories260K exit" 0 $?
py "stories260K: positive KLD, Q2_K > Q4_K_M > Q6_K" '
import csv, sys
rows = {r["candidate"]: r for r in csv.DictReader(open(sys.argv[1]))}
k = [float(rows[l]["mean_kld"]) for l in ("Q2_K", "Q4_K_M", "Q6_K")]
print("  Q2_K %.6f  Q4_K_M %.6f  Q6_K %.6f" % tuple(k))
sys.exit(0 if k[0] > k[1] > k[2] > 0 else 1)
' "$T/s260.csv"
check "no temporary file left (260K)" "" "$(ls -A "$T/tmp")"

# --rules: labels quantized on the fly follow that llama.cpp's mixes. stories260K's 172-wide rows
# have no b4748 fallback for Q8_0 (b4748 refuses it), while 2026-09 stores those tensors as F16.
TMPDIR=$T/tmp "$cli" evaluate "$s260" --labels Q8_0 --rules b4748 --text "$text" --ctx 128 --threads 2 --chunks 2 \
    > /dev/null 2> "$T/b4748.err"
check "--rules b4748: Q8_0 refused on stories260K" 2 $?
grep -q "not divisible by 32 as Q8_0 requires, and that type has no fallback" "$T/b4748.err"; check "--rules b4748: the refusal names the fallback" 0 $?
TMPDIR=$T/tmp "$cli" evaluate "$s260" --labels Q8_0 --rules 2026-09 --text "$text" --ctx 128 --threads 2 --chunks 2 \
    --json > "$T/r2026.json" 2> /dev/null
check "--rules 2026-09: Q8_0 evaluates on stories260K" 0 $?
py "--rules 2026-09 recorded" '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["rule_set"] == "2026-09" and [c["rule_set"] for c in d["candidates"]] == ["2026-09"] else 1)
' "$T/r2026.json"
check "no temporary file left (--rules)" "" "$(ls -A "$T/tmp")"

# Refusals: exit 2, naming what.
refuse() {  # NAME EXPECTED_TEXT ARGS...
    local name=$1 want=$2; shift 2
    TMPDIR=$T/tmp "$cli" evaluate "$@" > "$T/out" 2> "$T/err"; local rc=$?
    if [ $rc -eq 2 ] && grep -q -- "$want" "$T/err"; then echo "ok   $name"; else
        echo "FAIL $name (exit $rc): $(cat "$T/err")"; failures=$((failures + 1)); fi
}
refuse "candidate of another model" "stories260K.f32.gguf is not a quantization of the base model" \
    "$d256" "$s260" --text "$text" --ctx 256 --chunks 2
head -c 800 "$text" > "$T/short.txt"
refuse "text shorter than two contexts" "short.txt tokenizes to only" "$d256" "$d256" --text "$T/short.txt" --ctx 256
refuse "unreadable text" "missing.txt: cannot be read" "$d256" "$d256" --text "$T/missing.txt" --ctx 256
refuse "candidate not a GGUF file" "candidate $text" "$d256" "$text" --text "$text" --ctx 256 --chunks 2
refuse "label that does not apply" "requires an importance matrix" "$d256" --labels IQ2_XS --text "$text" --ctx 256
refuse "unknown label" "unknown label 'Q9_Z'" "$d256" --labels Q9_Z --text "$text"
refuse "label not in the rule set" "unknown label 'Q2_0' in rule set b4748" "$d256" --labels Q2_0 --rules b4748 --text "$text"
refuse "unknown rule set" "unknown rule set 'b1'" "$d256" --labels Q4_K_M --rules b1 --text "$text"
refuse "no candidate" "give candidate files" "$d256" --text "$text"
check "no temporary file left (refusals)" "" "$(ls -A "$T/tmp")"

# Cancellation: SIGTERM during the run (all 76 chunks of the text, two labels) stops it with
# 128+15, and the base log-probabilities and the quantized candidate are gone.
TMPDIR=$T/tmp "$cli" evaluate "$d256" --labels Q4_K_M,Q2_K --text "$text" --ctx 256 --threads 1 -b 256 \
    > "$T/cancel.out" 2> "$T/cancel.err" &
pid=$!
for _ in $(seq 1 300); do grep -q "Q4_K_M: chunk" "$T/cancel.err" 2>/dev/null && break; sleep 0.1; done
grep -q "Q4_K_M: chunk" "$T/cancel.err"; check "cancel: reached the candidate's chunks" 0 $?
kill -TERM $pid; wait $pid; check "cancel: exit 143" 143 $?
check "cancel: no temporary file left" "" "$(ls -A "$T/tmp")"

echo "$failures failure(s)"
[ $failures -eq 0 ]
