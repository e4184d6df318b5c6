#!/usr/bin/env python3
"""Compares two GGUF files as llama.cpp wrote them: every metadata key in order with its type and
value, every tensor in order with its name, type, shape, offset and data. Its own small GGUF reader,
so the proof does not rest on QuantBench's. Identical bytes are the fast path.
Usage: gguf_compare.py MINE.gguf REFERENCE.gguf   (exit 0: identical; 1: differences, listed)"""
import hashlib
import struct
import sys

SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


class Reader:
    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.p)[0]
        self.p += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take("<Q")
        s = self.d[self.p:self.p + n]
        self.p += n
        return s.decode("utf-8", "replace")

    def value(self, t):
        if t == 8:
            return self.string()
        if t == 9:
            et, n = self.take("<I"), self.take("<Q")
            return (et, [self.value(et) for _ in range(n)])
        return self.take(SCALARS[t])


def parse(path):
    data = open(path, "rb").read()
    r = Reader(data)
    if data[:4] != b"GGUF":
        raise SystemExit(f"{path}: not a GGUF file")
    r.p = 4
    version, n_tensors, n_kv = r.take("<I"), r.take("<Q"), r.take("<Q")
    kv = []
    for _ in range(n_kv):
        key, t = r.string(), r.take("<I")
        kv.append((key, t, r.value(t)))
    infos = []
    for _ in range(n_tensors):
        name, nd = r.string(), r.take("<I")
        shape = tuple(r.take("<q") for _ in range(nd))
        infos.append((name, r.take("<I"), shape, r.take("<Q")))
    align = next((v for k, t, v in kv if k == "general.alignment"), 32)
    start = (r.p + align - 1) // align * align
    ends = [o for _, _, _, o in infos[1:]] + [len(data) - start]
    tensors = [(n, t, s, o, hashlib.sha256(data[start + o:start + e]).hexdigest())
               for (n, t, s, o), e in zip(infos, ends)]
    return version, kv, tensors, len(data)


def main():
    mine, ref = sys.argv[1:3]
    if open(mine, "rb").read() == open(ref, "rb").read():
        print("identical bytes")
        return 0
    vm, km, tm, sm = parse(mine)
    vr, kr, tr, sr = parse(ref)
    bad = []
    if vm != vr:
        bad.append(f"version {vm} vs {vr}")
    if [k for k, _, _ in km] != [k for k, _, _ in kr]:
        bad.append(f"metadata keys differ: only mine {sorted(set(k for k,_,_ in km) - set(k for k,_,_ in kr))}, "
                   f"only reference {sorted(set(k for k,_,_ in kr) - set(k for k,_,_ in km))}, "
                   f"order mine {[k for k,_,_ in km][-6:]} vs {[k for k,_,_ in kr][-6:]}")
    for a, b in zip(km, kr):
        if a != b and a[0] == b[0]:
            bad.append(f"metadata {a[0]}: type {a[1]} value {str(a[2])[:60]} vs type {b[1]} value {str(b[2])[:60]}")
    if len(tm) != len(tr):
        bad.append(f"tensor count {len(tm)} vs {len(tr)}")
    for a, b in zip(tm, tr):
        if a != b:
            what = "name" if a[0] != b[0] else "type" if a[1] != b[1] else "shape" if a[2] != b[2] else \
                "offset" if a[3] != b[3] else "data"
            bad.append(f"tensor {a[0]}: {what} differs (type {a[1]} vs {b[1]})")
    if not bad and sm != sr:
        bad.append(f"file size {sm} vs {sr}")
    if not bad:
        bad.append("bytes differ outside metadata and tensor data (padding?)")
    print(f"{len(bad)} differences: " + "; ".join(bad[:6]))
    return 1


if __name__ == "__main__":
    sys.exit(main())
