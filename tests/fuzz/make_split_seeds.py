#!/usr/bin/env python3
"""Writes seed inputs for fuzz_gguf_split: valid and slightly broken two-part split sets in the
target's input layout (u16 control word, part 1, part 2). Usage: make_split_seeds.py FOLDER"""
import struct
import sys
from pathlib import Path

ALIGN = 32


def string(s):
    b = s.encode()
    return struct.pack('<Q', len(b)) + b


def part(no, count, total, tensors, extra_kv=()):
    # split.no / split.count as u16 and split.tensors.count as i32, as gguf-split writes them.
    kv = [(b'general.architecture', 8, string('llama')),
          (b'split.no', 2, struct.pack('<H', no)),
          (b'split.count', 2, struct.pack('<H', count)),
          (b'split.tensors.count', 5, struct.pack('<i', total))] + list(extra_kv)
    head = b'GGUF' + struct.pack('<IQQ', 3, len(tensors), len(kv))
    for key, vtype, value in kv:
        head += struct.pack('<Q', len(key)) + key + struct.pack('<I', vtype) + value
    data = b''
    for name, ne in tensors:
        off = len(data)
        head += string(name) + struct.pack('<I', len(ne)) + b''.join(struct.pack('<Q', n) for n in ne)
        head += struct.pack('<IQ', 0, off)  # F32
        n = 1
        for d in ne:
            n *= d
        data += struct.pack('<%df' % n, *[float(i) / 7 for i in range(n)])
        data += b'\0' * (-len(data) % ALIGN)
    head += b'\0' * (-len(head) % ALIGN)
    return head + data


def seed(p1, p2, open_second=False):
    return struct.pack('<H', len(p1) | (0x8000 if open_second else 0)) + p1 + p2


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    a = part(0, 2, 3, [('token_embd.weight', (8, 4)), ('output_norm.weight', (8,))])
    b = part(1, 2, 3, [('blk.0.attn_q.weight', (8, 8))])
    seeds = {
        'valid': seed(a, b),
        'valid-open-second': seed(a, b, True),
        'wrong-total': seed(part(0, 2, 4, [('a', (8,))]), part(1, 2, 4, [('b', (8,))])),
        'duplicate-tensor': seed(part(0, 2, 2, [('a', (8,))]), part(1, 2, 2, [('a', (8,))])),
        'wrong-no': seed(part(0, 2, 2, [('a', (8,))]), part(0, 2, 2, [('b', (8,))])),
        'single-part-count': seed(part(0, 1, 1, [('a', (4,))]), b''),
        'string-split-key': seed(part(0, 2, 2, [('a', (8,))], [(b'x', 8, string('y'))]), b'GGUF'),
    }
    for name, data in seeds.items():
        (out / name).write_bytes(data)


if __name__ == '__main__':
    main()
