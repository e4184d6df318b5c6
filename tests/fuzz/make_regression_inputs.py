#!/usr/bin/env python3
"""Writes tests/fuzz/regressions/<target>/: small hand-made hostile inputs, one defect each, that
the hardening work refused (alignment, importance-matrix limits, preset version and pattern
budget, literal patterns) plus the classic corrupt cases. They are committed; this script says
how each was made. CTest replays every file of each folder through its fuzz target's entry point
(fuzz_replay_<target>), and run-fuzz.sh seeds its corpora with them, except files named slow-*:
those (whole budgets of costly patterns) take ~100 ms a run under ASan, and as seeds they cut a
15-second fuzz_preset run from 205,000 executions to 14,000 (fuzz_cli_args: 43,000 to 456).
A crash input found by the fuzzer is added to the folder as it is (no need to add it here).
Usage: make_regression_inputs.py [REGRESSIONS_DIR]"""
import json
import pathlib
import struct
import sys

U32, I32, STRING, ARRAY, U64 = 4, 5, 8, 9, 10


def gstr(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack('<Q', len(b)) + b


def gguf(kvs, tensors, data=b'', align=32, pad=True):
    """kvs: (key, type, encoded value); tensors: (name, ne, type id, offset)."""
    out = b'GGUF' + struct.pack('<IQQ', 3, len(tensors), len(kvs))
    for key, vtype, value in kvs:
        out += gstr(key) + struct.pack('<I', vtype) + value
    for name, ne, tid, off in tensors:
        out += gstr(name) + struct.pack('<I', len(ne)) + b''.join(struct.pack('<Q', n) for n in ne)
        out += struct.pack('<IQ', tid, off)
    if pad:
        out += b'\0' * (-len(out) % align)
    return out + data


def imatrix_kvs():
    return [('general.type', STRING, gstr('imatrix'))]


def legacy(entries, trailer=b''):
    out = struct.pack('<i', len(entries))
    for name, ncall, values in entries:
        n = name.encode() if isinstance(name, str) else name
        out += struct.pack('<i', len(n)) + n + struct.pack('<ii', ncall, len(values))
        out += struct.pack('<%df' % len(values), *values)
    return out + trailer


def worst_pattern():
    return '(' + '.*' * 14 + '){60}b'  # the costliest pattern one may write (1832 regex states)


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent / 'regressions')
    files = {}
    align = lambda a: [('general.alignment', U32, struct.pack('<I', a))]
    files['fuzz_gguf_reader'] = {
        # general.alignment 2^31 in a file without tensors: was accepted, and the writer padded to it.
        'alignment-2pow31-no-tensors': gguf(align(1 << 31), [], pad=False),
        'alignment-128K': gguf(align(1 << 17), [], pad=False),
        'alignment-48': gguf(align(48), [], pad=False),
        'string-claims-1TiB': b'GGUF' + struct.pack('<IQQ', 3, 0, 1) + gstr('general.name') +
                              struct.pack('<IQ', STRING, 1 << 40),
        'array-claims-2pow40-items': b'GGUF' + struct.pack('<IQQ', 3, 0, 1) + gstr('a') +
                                   struct.pack('<IIQ', ARRAY, 0, 1 << 40),
        'tensors-overlap': gguf([], [('a', (16,), 0, 0), ('b', (8,), 0, 32)], b'\0' * 96),
        'offset-near-2pow64': gguf([], [('w', (8,), 0, (1 << 64) - 32)], b'\0' * 64),
        'header-truncated': gguf(align(64), [('a', (16,), 0, 0)])[:40],
        # GGUF names must be UTF-8: refused naming the first bad byte (issue #19). The string
        # value that is not UTF-8 is accepted and shown escaped.
        'tensor-name-not-utf8': gguf([], [(b'blk.0.\xc3(', (8,), 0, 0)], b'\0' * 32),
        'key-overlong-utf8': gguf([(b'general.\xc0\xafname', U32, struct.pack('<I', 1))], []),
        'string-value-not-utf8': gguf([('general.name', STRING, gstr(b'caf\xff\xfe'))], [('w', (8,), 0, 0)], b'\0' * 32),
    }
    files['fuzz_imatrix'] = {
        # A name longer than the 1024-byte limit (real names are ggml tensor names, <= 63 bytes).
        'name-1025-bytes': legacy([('n' * 1025, 1, [1.0])]),
        'value-count-past-file': struct.pack('<i', 1) + struct.pack('<i', 1) + b'w' + struct.pack('<ii', 1, 1 << 30),
        'negative-count': struct.pack('<i', -1) + b'\0' * 16,
        'dataset-length-past-file': legacy([('w', 1, [1.0])], struct.pack('<ii', 10, 1 << 30)),
        'negative-value': legacy([('w', 1, [-1.0])]),
        'duplicate-entry': legacy([('w', 1, [1.0]), ('w', 1, [2.0])]),
    }
    zeros = b'\0' * 64
    files['fuzz_imatrix_gguf'] = {
        'counts-missing': gguf(imatrix_kvs(), [('w.in_sum2', (4, 1), 0, 0)], zeros),
        'shapes-inconsistent': gguf(imatrix_kvs(), [('w.in_sum2', (4, 2), 0, 0), ('w.counts', (1, 3), 0, 32)], zeros),
        'alignment-2pow31': gguf(imatrix_kvs() + align(1 << 31), [], pad=False),
        'not-f32': gguf(imatrix_kvs(), [('w.in_sum2', (4, 1), 1, 0), ('w.counts', (1, 1), 0, 32)], zeros),
    }
    head = {'format': 'quantbench-preset', 'base_label': 'Q4_0'}
    preset = lambda **kw: json.dumps({**head, 'version': 1, **kw}).encode()
    files['fuzz_preset'] = {
        # 2^32 + 1 and -(2^32 - 1) used to be read as version 1 (get<int> truncated them).
        'version-2pow32-plus-1': json.dumps({**head, 'version': 4294967297}).encode(),
        'version-negative-wraps-to-1': json.dumps({**head, 'version': -4294967295}).encode(),
        # Each rule is within the per-pattern limit, together over the budget of 20,000 states.
        'slow-rules-over-budget': preset(rules=[{'pattern': worst_pattern(), 'type': 'Q8_0'}] * 11),
        'literal-and-anchor-rules': preset(rules=[{'pattern': p, 'type': 'Q8_0'} for p in
                                                  ['^$', '\\$', 'blk.0.attn_q.weight', '^output\\.weight$', '^', '$']]),
        'exact-name-unusual': preset(tensor_types={'a\\$': 'Q8_0', '^': 'Q4_0', '\n': 'F16'}),
        # Found by fuzz_preset in CI: a number beyond double made nlohmann throw out_of_range,
        # which escaped MixPreset::fromJson instead of becoming a qb::Error.
        'number-overflow-finding': b'99999E99099999992\x009',
    }
    files['fuzz_cli_args'] = {
        'slow-patterns-over-budget': ('\n'.join(['t' + worst_pattern() + '=q8_0'] * 11) + '\n').encode(),
        'literal-patterns': '\n'.join(['tblk.0.attn_q.weight=q8_0', 't^$=q4_0', 't\\$=q8_0', 't^=q5_0',
                                       't^output\\.weight$=f16', 't\\\\=q8_0', 'ta\\=q8_0']).encode() + b'\n',
        'file-of-exact-names': ('f' + '\x01'.join('^blk\\.%d\\.ffn_up\\.weight$=q8_0' % i for i in range(40))).encode(),
        'slow-captures-everywhere': ('t' + '(.*)' * 250 + '=q8_0\n').encode(),
    }

    def split(p1, p2, second=False):
        return struct.pack('<H', len(p1) | (0x8000 if second else 0)) + p1 + p2
    part = lambda kvs, tensors, data=b'': gguf([('general.architecture', STRING, gstr('llama'))] + kvs, tensors, data)
    files['fuzz_gguf_split'] = {
        # Part 1 asks for an alignment of 2^31; part 2 is fine.
        'alignment-2pow31-in-part-1': split(gguf(align(1 << 31), [], pad=False), part([], [('b', (8,), 0, 0)], b'\0' * 32)),
        'part-2-empty': split(part([], [('a', (8,), 0, 0)], b'\0' * 32), b'', True),
        'part-1-not-gguf': split(b'GGUX' + b'\0' * 20, b'GGUF'),
    }
    for target, inputs in files.items():
        folder = root / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in inputs.items():
            (folder / name).write_bytes(data)


if __name__ == '__main__':
    main()
