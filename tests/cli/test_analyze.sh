#!/bin/bash
# quantbench-cli analyze on the golden models: the label table (text, JSON, CSV) against
# llama-quantize's own sizes and `quantize --dry-run`, per tensor x type metrics and histograms,
# --imatrix, --exact against preview, and bad inputs (clear message, exit code 2).
# Usage: test_analyze.sh PATH/TO/quantbench-cli GOLDEN_DIR
# JSON is checked with python3 (json module): the keys README.md documents, and real values.
# shellcheck source=../support/cli_checks.sh
source "$(dirname "$0")/../support/cli_checks.sh"
M=$G/models/llama256.f16.gguf
IM=$G/imatrix/llama256.f16.imatrix.dat

command -v python3 >/dev/null || { echo "FAIL python3 is needed to check the JSON output"; exit 1; }

# Shared python helpers: load a JSON document, check a key set, fail with a message.
PYLIB='
import json, sys, math
def load(p):
    with open(p) as f: return json.load(f)
def fail(msg):
    print("  " + msg); sys.exit(1)
def keys(obj, want, where):
    if set(obj.keys()) != set(want): fail("%s keys %s, documented %s" % (where, sorted(obj.keys()), sorted(want)))
TOP = ["file", "mode", "imatrix", "tensors", "skipped", "labels"]
LABEL_TOP = TOP + ["skipped_labels", "rule_set", "label_work"]
LABEL = ["label", "bytes", "size_gb", "parameters", "bits_per_weight", "relative_rmse", "weighted_relative"]
TENSOR = ["tensor", "type", "bytes", "bits_per_weight", "rows", "rows_analyzed", "elements_analyzed", "metrics",
          "histograms", "row_rmse"]
METRICS = ["rmse", "max_abs_error", "relative_rmse", "snr_db", "cosine", "weighted_rmse", "weighted_relative"]
HIST = ["lo", "hi", "counts", "underflow", "overflow", "nan"]
'

# --- The label table ---------------------------------------------------------------------------
"$CLI" analyze "$M" --labels Q4_K_M,Q8_0,Q2_K >"$T/labels.txt"; check "labels table (text)" 0 $?
expect_text "text names Q4_K_M" "$T/labels.txt" "Q4_K_M "
expect_text "text work line" "$T/labels.txt" "distinct (tensor, type) pairs"

"$CLI" analyze "$M" --labels Q4_K_M,Q8_0,Q2_K --rules b4748 --json >"$T/labels.json"; check "labels table (json)" 0 $?
python3 -m json.tool "$T/labels.json" >/dev/null; check "labels JSON is valid" 0 $?
py "labels JSON: documented keys, Q8_0 < Q4_K_M < Q2_K, sizes equal llama-quantize's" "$PYLIB
d = load(sys.argv[1]); gold = sys.argv[2]
keys(d, LABEL_TOP, 'document')
if d['mode'] != 'preview' or d['imatrix'] is not None: fail('mode/imatrix %s %s' % (d['mode'], d['imatrix']))
if d['tensors'] or d['skipped'] or d['skipped_labels']: fail('unexpected tensors or skips')
if d['rule_set'] != 'b4748': fail('rule_set %s' % d['rule_set'])
keys(d['label_work'], ['distinct_pairs', 'pairs_computed', 'seconds'], 'label_work')
w = d['label_work']
if not (w['distinct_pairs'] > 0 and w['pairs_computed'] == w['distinct_pairs']): fail('label_work %s' % w)
rows = {l['label']: l for l in d['labels']}
if [l['label'] for l in d['labels']] != ['Q4_K_M', 'Q8_0', 'Q2_K']: fail('label order %s' % list(rows))
for name, l in rows.items():
    keys(l, LABEL, name)
    g = load('%s/mixes/llama256.f16/%s.json' % (gold, name))
    want = sum(t['bytes'] for t in g['tensors'])
    if l['bytes'] != want: fail('%s bytes %d, llama-quantize %d' % (name, l['bytes'], want))
    params = sum(math.prod(t['shape']) for t in g['tensors'])
    if l['parameters'] != params: fail('%s parameters %d, model %d' % (name, l['parameters'], params))
    if abs(l['bits_per_weight'] - 8.0 * want / params) > 1e-9: fail('%s bpw %s' % (name, l['bits_per_weight']))
    if abs(l['size_gb'] - want / 1e9) > 1e-12: fail('%s size_gb %s' % (name, l['size_gb']))
    if l['weighted_relative'] is not None: fail('%s weighted without an imatrix' % name)
r = [rows[n]['relative_rmse'] for n in ('Q8_0', 'Q4_K_M', 'Q2_K')]
print('  relative RMSE Q8_0 %.4f, Q4_K_M %.4f, Q2_K %.4f' % tuple(r))
if not (0 < r[0] < r[1] < r[2] < 1): fail('relative RMSE not ordered by bits')
" "$T/labels.json" "$G"

# The same sizes as quantize --dry-run prints for each label (MiB and bits per weight, 2 decimals).
for L in Q4_K_M Q8_0 Q2_K; do
    "$CLI" quantize --rules b4748 "$M" "$T/o.gguf" $L --dry-run >"$T/dry_$L.txt"; check "dry run $L" 0 $?
    py "$L size and bpw equal quantize --dry-run" "$PYLIB
import re
d = load(sys.argv[1]); label = sys.argv[3]
l = [x for x in d['labels'] if x['label'] == label][0]
m = re.search(r'quant size = *([0-9.]+) MiB \(([0-9.]+) bits per weight\)', open(sys.argv[2]).read())
if not m: fail('no quant size line in the dry run')
mine = ('%.2f' % (l['bytes'] / 1048576.0), '%.2f' % l['bits_per_weight'])
if mine != m.groups(): fail('analyze %s, dry run %s' % (mine, m.groups()))
" "$T/labels.json" "$T/dry_$L.txt" $L
done

"$CLI" analyze "$M" --labels Q4_K_M,Q8_0,Q2_K --csv >"$T/labels.csv"; check "labels table (csv)" 0 $?
py "labels CSV: header and the JSON's values" "$PYLIB
import csv
d = load(sys.argv[1])
rows = list(csv.DictReader(open(sys.argv[2])))
if list(rows[0].keys()) != ['label', 'bytes', 'size_gb', 'bits_per_weight', 'relative_rmse', 'weighted_relative']:
    fail('header %s' % list(rows[0].keys()))
if [r['label'] for r in rows] != [l['label'] for l in d['labels']]: fail('labels differ')
for r, l in zip(rows, d['labels']):
    if int(r['bytes']) != l['bytes'] or abs(float(r['relative_rmse']) / l['relative_rmse'] - 1) > 1e-6:
        fail('%s differs from JSON' % r['label'])
" "$T/labels.json" "$T/labels.csv"

# Labels that need an importance matrix are listed as skipped without one, computed with one.
"$CLI" analyze "$M" --labels IQ2_XS,Q4_K_M --json >"$T/noim.json"; check "IQ2_XS without imatrix" 0 $?
py "IQ2_XS skipped with the reason" "$PYLIB
d = load(sys.argv[1])
if [l['label'] for l in d['labels']] != ['Q4_K_M']: fail('labels %s' % [l['label'] for l in d['labels']])
s = d['skipped_labels']
if len(s) != 1 or s[0]['label'] != 'IQ2_XS' or 'requires an importance matrix' not in s[0]['reason']: fail('skipped %s' % s)
" "$T/noim.json"
"$CLI" analyze "$M" --labels IQ2_XS,Q4_K_M --imatrix "$IM" --rules b4748 --json >"$T/im.json"; check "IQ2_XS with imatrix" 0 $?
py "imatrix labels: weighted errors, sizes equal llama-quantize's with the imatrix" "$PYLIB
d = load(sys.argv[1]); gold = sys.argv[2]
if d['imatrix'] != sys.argv[3] or d['skipped_labels']: fail('imatrix %s, skipped %s' % (d['imatrix'], d['skipped_labels']))
rows = {l['label']: l for l in d['labels']}
for name, l in rows.items():
    g = load('%s/mixes/llama256.f16/%s.imatrix.json' % (gold, name))
    if l['bytes'] != sum(t['bytes'] for t in g['tensors']): fail('%s bytes differ from llama-quantize' % name)
    if not (isinstance(l['weighted_relative'], float) and 0 < l['weighted_relative'] < 1): fail('%s weighted %s' % (name, l))
if not rows['Q4_K_M']['relative_rmse'] < rows['IQ2_XS']['relative_rmse']: fail('IQ2_XS should lose more than Q4_K_M')
" "$T/im.json" "$G" "$IM"

# --rules: the label table follows one llama.cpp's rules, 2026-09 by default like quantize. On
# stories260K (172-wide rows) b4748 refuses Q8_0 (no fallback for a 32-wide type) where 2026-09
# stores those tensors as F16; each table's sizes equal that rule set's quantize --dry-run.
S=$G/models/stories260K.f32.gguf
"$CLI" analyze "$S" --labels Q8_0,Q4_K_M --json >"$T/r2026.json"; check "--rules default (2026-09)" 0 $?
"$CLI" analyze "$S" --labels Q8_0,Q4_K_M --rules b4748 --json >"$T/rb4748.json"; check "--rules b4748" 0 $?
for R in 2026-09 b4748; do
    for L in Q8_0 Q4_K_M; do "$CLI" quantize --rules $R --dry-run "$S" "$T/o.gguf" $L >"$T/dry_${R}_$L.txt" 2>&1; done
done
py "--rules: each rule set's table, sizes equal its dry run" "$PYLIB
import re
def dry(path):
    m = re.search(r'quant size = *([0-9.]+) MiB', open(path).read())
    return m.group(1) if m else None
new, old, T = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
if new['rule_set'] != '2026-09' or old['rule_set'] != 'b4748': fail('rule_set %s %s' % (new['rule_set'], old['rule_set']))
if [l['label'] for l in new['labels']] != ['Q8_0', 'Q4_K_M'] or new['skipped_labels']: fail('2026-09 rows %s' % new)
if [l['label'] for l in old['labels']] != ['Q4_K_M']: fail('b4748 rows %s' % [l['label'] for l in old['labels']])
s = old['skipped_labels']
if len(s) != 1 or s[0]['label'] != 'Q8_0' or 'fallback' not in s[0]['reason']: fail('b4748 skipped %s' % s)
if dry(T + '/dry_b4748_Q8_0.txt') is not None: fail('b4748 dry run of Q8_0 should refuse')
for d, r in ((new, '2026-09'), (old, 'b4748')):
    for l in d['labels']:
        want = dry('%s/dry_%s_%s.txt' % (T, r, l['label']))
        if '%.2f' % (l['bytes'] / 1048576.0) != want: fail('%s %s: %d bytes, dry run %s MiB' % (r, l['label'], l['bytes'], want))
" "$T/r2026.json" "$T/rb4748.json" "$T"
"$CLI" analyze "$S" --labels Q2_0 --rules b4748 2>"$T/err" >/dev/null; check "Q2_0 is not a b4748 label" 2 $?
expect_text "Q2_0 message" "$T/err" "unknown label 'Q2_0' in rule set b4748"
"$CLI" analyze "$S" --labels Q2_0 --json >"$T/q20.json"; check "Q2_0 with the default rules" 0 $?
"$CLI" analyze "$S" --labels Q4_K_M --rules b1 2>"$T/err" >/dev/null; check "unknown rule set" 2 $?
expect_text "unknown rule set message" "$T/err" "unknown rule set 'b1'"
"$CLI" analyze "$S" --rules b4748 2>"$T/err" >/dev/null; check "--rules without --labels" 2 $?
expect_text "--rules without --labels message" "$T/err" "--labels"

# --- Per tensor x type --------------------------------------------------------------------------
"$CLI" analyze "$M" --types Q2_K,Q4_K,Q8_0 --tensor 'blk\.0\.' --json >"$T/types.json"; check "types (json)" 0 $?
python3 -m json.tool "$T/types.json" >/dev/null; check "types JSON is valid" 0 $?
py "types JSON: documented keys, histograms, bits, RMSE falls as bits rise" "$PYLIB
d = load(sys.argv[1])
keys(d, TOP, 'document')
bpw = {'Q2_K': 2.625, 'Q4_K': 4.5, 'Q8_0': 8.5}
by = {}
for t in d['tensors']:
    keys(t, TENSOR, t['tensor']); keys(t['metrics'], METRICS, 'metrics')
    if not t['tensor'].startswith('blk.0.'): fail('--tensor let %s through' % t['tensor'])
    if t['bits_per_weight'] != bpw[t['type'].upper()]: fail('%s %s bpw %s' % (t['tensor'], t['type'], t['bits_per_weight']))
    if t['metrics']['weighted_rmse'] is not None: fail('weighted without an imatrix')
    if len(t['row_rmse']) != t['rows_analyzed'] or not 0 < t['rows_analyzed'] <= t['rows']: fail('rows %s' % t['tensor'])
    n = None
    for h in ('weights', 'error', 'relative_error'):
        hist = t['histograms'][h]; keys(hist, HIST, h)
        if len(hist['counts']) != 64 or not hist['lo'] < hist['hi']: fail('%s histogram shape' % h)
        total = sum(hist['counts']) + hist['underflow'] + hist['overflow'] + hist['nan']
        if n is not None and total != n: fail('histograms count different numbers of values')
        n = total
    if n != t['elements_analyzed'] or n % t['rows_analyzed'] != 0: fail('histogram total %d is not rows x row length' % n)
    if t['bytes'] * 8 != round(t['bits_per_weight'] * t['rows'] * (n // t['rows_analyzed'])): fail('bytes vs bpw')
    by.setdefault(t['tensor'], {})[t['type'].upper()] = t['metrics']
if len(by) != 7: fail('expected the 7 matrices of block 0, got %s' % sorted(by))
for name, m in by.items():
    if not m['Q2_K']['rmse'] > m['Q4_K']['rmse'] > m['Q8_0']['rmse'] > 0: fail('%s RMSE not ordered by bits' % name)
    if not m['Q2_K']['snr_db'] < m['Q4_K']['snr_db'] < m['Q8_0']['snr_db']: fail('%s SNR not ordered' % name)
    if not 0.9 < m['Q4_K']['cosine'] < m['Q8_0']['cosine'] <= 1: fail('%s cosine' % name)
" "$T/types.json"

"$CLI" analyze "$M" --types Q4_K --tensor 'attn_q' --bins 16 --json >"$T/bins.json"; check "--bins 16" 0 $?
py "--bins 16 gives 16 bins" "$PYLIB
d = load(sys.argv[1])
if len(d['tensors']) != 8: fail('%d tensors' % len(d['tensors']))
for t in d['tensors']:
    if any(len(t['histograms'][h]['counts']) != 16 for h in ('weights', 'error', 'relative_error')): fail('bins')
" "$T/bins.json"

# Caller-chosen ranges: lo and hi as asked (a negative LO both as --opt=LO:HI and as a separate
# argument), values outside counted in under- and overflow; an unset range still spans the data.
"$CLI" analyze "$M" --types Q4_K --tensor 'blk\.0\.attn_q' --bins 8 --error-range=-0.004:0.005 \
    --weights-range -0.05:0.0625 --json >"$T/range.json"; check "--error-range, --weights-range" 0 $?
py "ranges: requested lo/hi, values outside counted" "$PYLIB
t = load(sys.argv[1])['tensors'][0]; h = t['histograms']
if (h['error']['lo'], h['error']['hi']) != (-0.004, 0.005): fail('error range %s %s' % (h['error']['lo'], h['error']['hi']))
if (h['weights']['lo'], h['weights']['hi']) != (-0.05, 0.0625): fail('weights range %s %s' % (h['weights']['lo'], h['weights']['hi']))
if len(h['error']['counts']) != 8 or h['error']['underflow'] + h['error']['overflow'] == 0: fail('error range cut nothing')
r = h['relative_error']
if r['underflow'] + r['overflow'] != 0 or sum(r['counts']) != t['elements_analyzed']: fail('automatic range lost values')
" "$T/range.json"
"$CLI" analyze "$M" --types Q4_K --tensor 'blk\.0\.attn_q' --relative-error-range 0.5:0.25 2>"$T/err" >/dev/null
check "range with lo > hi" 2 $?
expect_text "range message" "$T/err" "--relative-error-range: expected LO:HI with finite numbers LO < HI, got '0.5:0.25'"
"$CLI" analyze "$M" --labels Q4_K_M --error-range 0:1 >/dev/null 2>&1; check "--error-range with --labels" 2 $?

"$CLI" analyze "$M" --types Q4_K,Q8_0 --tensor 'blk\.0\.' --csv >"$T/types.csv"; check "types (csv)" 0 $?
py "types CSV: one row per tensor and type, same values as JSON" "$PYLIB
import csv
d = load(sys.argv[1])
rows = list(csv.DictReader(open(sys.argv[2])))
want = 'tensor,type,bytes,bits_per_weight,rows_analyzed,rmse,max_abs_error,relative_rmse,snr_db,cosine,weighted_rmse,weighted_relative'
if ','.join(rows[0].keys()) != want: fail('header %s' % list(rows[0].keys()))
j = {(t['tensor'], t['type']): t for t in d['tensors'] if t['type'].upper() in ('Q4_K', 'Q8_0')}
if len(rows) != 14 or set((r['tensor'], r['type']) for r in rows) != set(j): fail('%d rows' % len(rows))
for r in rows:
    t = j[(r['tensor'], r['type'])]
    if int(r['bytes']) != t['bytes'] or abs(float(r['rmse']) / t['metrics']['rmse'] - 1) > 1e-6: fail('%s differs' % r['tensor'])
" "$T/types.json" "$T/types.csv"

# --imatrix on tensors: weighted metrics present; the imatrix-only type IQ2_XS needs it.
"$CLI" analyze "$M" --types Q4_K,IQ2_XS --tensor 'blk\.1\.ffn' --imatrix "$IM" --json >"$T/timat.json"; check "types with imatrix" 0 $?
py "imatrix: weighted metrics for every tensor, IQ2_XS analysed" "$PYLIB
d = load(sys.argv[1])
if len(d['tensors']) != 6 or d['skipped']: fail('%d tensors, skipped %s' % (len(d['tensors']), d['skipped']))
for t in d['tensors']:
    m = t['metrics']
    if not (m['weighted_rmse'] > 0 and 0 < m['weighted_relative'] < 1): fail('%s %s weighted %s' % (t['tensor'], t['type'], m))
" "$T/timat.json"
# CSV: the weighted columns carry the same 9 significant digits as the other error columns.
"$CLI" analyze "$M" --types Q4_K,IQ2_XS --tensor 'blk\.1\.ffn' --imatrix "$IM" --csv >"$T/timat.csv"; check "types with imatrix (csv)" 0 $?
"$CLI" analyze "$M" --labels IQ2_XS,Q4_K_M --imatrix "$IM" --csv >"$T/im.csv"; check "labels with imatrix (csv)" 0 $?
py "imatrix CSV: weighted columns at full precision" "$PYLIB
import csv
def same(text, value, what):
    if abs(float(text) / value - 1) > 1e-8: fail('%s: CSV %s, JSON %r' % (what, text, value))
j = {(t['tensor'], t['type']): t['metrics'] for t in load(sys.argv[1])['tensors']}
rows = list(csv.DictReader(open(sys.argv[2])))
if len(rows) != len(j): fail('%d CSV rows, %d in JSON' % (len(rows), len(j)))
for r in rows:
    m = j[(r['tensor'], r['type'])]
    for key in ('rmse', 'relative_rmse', 'weighted_rmse', 'weighted_relative'): same(r[key], m[key], r['tensor'] + ' ' + key)
labels = {l['label']: l for l in load(sys.argv[3])['labels']}
for r in csv.DictReader(open(sys.argv[4])):
    same(r['weighted_relative'], labels[r['label']]['weighted_relative'], r['label'])
" "$T/timat.json" "$T/timat.csv" "$T/im.json" "$T/im.csv"
"$CLI" analyze "$M" --types IQ2_XS --tensor 'blk\.1\.ffn_up' >"$T/skip.txt"; check "IQ2_XS without imatrix" 0 $?
expect_text "IQ2_XS skipped with reason" "$T/skip.txt" "skipped: needs an importance matrix entry for this tensor"

# --exact analyses every row; the preview of a bigger tensor takes a sample within 10% of it.
"$CLI" analyze "$M" --types IQ4_NL --tensor '^token_embd' --json >"$T/prev.json"; check "preview IQ4_NL" 0 $?
"$CLI" analyze "$M" --types IQ4_NL --tensor '^token_embd' --exact --json >"$T/exact.json"; check "exact IQ4_NL" 0 $?
py "exact covers every row, preview a sample within tolerance" "$PYLIB
p = load(sys.argv[1])['tensors'][0]; e = load(sys.argv[2]); mode = e['mode']; e = e['tensors'][0]
if mode != 'exact' or e['rows_analyzed'] != e['rows'] or len(e['row_rmse']) != e['rows']: fail('exact rows %s' % e['rows_analyzed'])
if not 0 < p['rows_analyzed'] < p['rows']: fail('preview analysed %d of %d rows' % (p['rows_analyzed'], p['rows']))
print('  preview %d rows: relative RMSE %.5f, exact %.5f' % (p['rows_analyzed'], p['metrics']['relative_rmse'], e['metrics']['relative_rmse']))
if abs(p['metrics']['relative_rmse'] / e['metrics']['relative_rmse'] - 1) > 0.10: fail('preview outside 10% of exact')
if p['bytes'] != e['bytes']: fail('bytes depend on the mode')
" "$T/prev.json" "$T/exact.json"
"$CLI" analyze "$M" --labels Q4_K_M --exact --json >"$T/lexact.json"; check "exact label table" 0 $?
py "exact label table: same size, error close to the preview's" "$PYLIB
p = [l for l in load(sys.argv[1])['labels'] if l['label'] == 'Q4_K_M'][0]; d = load(sys.argv[2]); e = d['labels'][0]
if d['mode'] != 'exact' or e['bytes'] != p['bytes']: fail('mode %s bytes %d vs %d' % (d['mode'], e['bytes'], p['bytes']))
if abs(e['relative_rmse'] / p['relative_rmse'] - 1) > 0.10: fail('exact %s, preview %s' % (e['relative_rmse'], p['relative_rmse']))
" "$T/labels.json" "$T/lexact.json"

# --- Bad input: a clear message and exit code 2 --------------------------------------------------
"$CLI" analyze "$M" --labels Q4_K_M,Q9_K 2>"$T/err" >/dev/null; check "unknown label" 2 $?
expect_text "unknown label message" "$T/err" "unknown label 'Q9_K'"
"$CLI" analyze "$M" --types Q4_K,Q9_K 2>"$T/err" >/dev/null; check "unknown type" 2 $?
expect_text "unknown type message" "$T/err" "unknown type 'Q9_K'"
"$CLI" analyze "$M" --types Q4_K --tensor 'blk[' 2>"$T/err" >/dev/null; check "bad regex" 2 $?
expect_text "bad regex message" "$T/err" "--tensor: pattern 'blk[' is not a valid regular expression"
"$CLI" analyze "$M" --types Q4_K --tensor 'no_such_tensor' 2>"$T/err" >/dev/null; check "regex matching nothing" 2 $?
expect_text "regex matching nothing message" "$T/err" "no tensor of two or more dimensions matches"
"$CLI" analyze "$T/missing.gguf" --labels Q4_K_M 2>"$T/err" >/dev/null; check "missing model" 2 $?
expect_text "missing model message" "$T/err" "missing.gguf"
head -c 1000 "$M" >"$T/cut.gguf"
"$CLI" analyze "$T/cut.gguf" --labels Q4_K_M 2>"$T/err" >/dev/null; check "truncated model" 2 $?
expect_text "truncated model message" "$T/err" "cut.gguf"
"$CLI" analyze "$M" --labels Q4_K_M --imatrix "$T/missing.dat" 2>"$T/err" >/dev/null; check "missing imatrix" 2 $?
expect_text "missing imatrix message" "$T/err" "missing.dat"
"$CLI" analyze "$M" --labels Q4_K_M --imatrix "$G/imatrix/stories260K.f32.imatrix.dat" 2>"$T/err" >/dev/null
check "imatrix of another model (sizes)" 2 $?
expect_text "imatrix sizes message" "$T/err" "but the tensor has 256 columns; the importance matrix was not made for this model"
# A well-formed .dat whose one entry names no tensor of the model.
python3 -c "
import struct, sys
name = b'no.such.tensor'
open(sys.argv[1], 'wb').write(struct.pack('<ii', 1, len(name)) + name + struct.pack('<ii', 1, 4) + struct.pack('<4f', 1, 1, 1, 1))
" "$T/other.dat"
"$CLI" analyze "$M" --types Q4_K --imatrix "$T/other.dat" 2>"$T/err" >/dev/null; check "imatrix naming no tensor" 2 $?
expect_text "imatrix naming no tensor message" "$T/err" "none of its 1 entries names a tensor of this model"
"$CLI" analyze "$M" --types Q4_K --labels Q4_K_M >/dev/null 2>&1; check "--types with --labels" 2 $?
"$CLI" analyze "$M" --labels Q4_K_M --tensor attn >/dev/null 2>&1; check "--tensor with --labels" 2 $?
"$CLI" analyze "$M" --types Q4_K --json --csv >/dev/null 2>&1; check "--json with --csv" 2 $?
"$CLI" analyze "$M" --types Q4_K --bins 0 >/dev/null 2>&1; check "--bins 0" 2 $?

echo "$failures failure(s)"
[ "$failures" = 0 ]
