#!/usr/bin/env python3
"""Writes a deterministic importance matrix in llama.cpp's legacy .dat format for every weight
matrix of a GGUF model (token_embd excluded, as llama-imatrix leaves it out), with ne[0] x ne[2]
values per tensor (one vector per expert for stacked experts).
Usage: make_imatrix.py MODEL.gguf OUT.imatrix.dat"""
import struct
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from gguf_compare import parse  # noqa: E402


def main():
    model, out = sys.argv[1:3]
    _, _, tensors, _ = parse(model)
    entries = []
    for name, _, shape, _, _ in tensors:
        if len(shape) < 2 or name == "token_embd.weight" or not name.endswith(".weight") or "_norm" in name:
            continue
        n = shape[0] * (shape[2] if len(shape) > 2 else 1)
        seed = sum(name.encode()) * 2654435761
        entries.append((name, [0.05 + ((seed + i * 40503) % 9973) / 997.3 for i in range(n)]))
    with open(out, "wb") as f:
        f.write(struct.pack("<i", len(entries)))
        for name, values in entries:
            f.write(struct.pack("<i", len(name)) + name.encode())
            f.write(struct.pack("<ii", 1, len(values)))
            f.write(struct.pack(f"<{len(values)}f", *values))
        dataset = b"synthetic"
        f.write(struct.pack("<ii", 10, len(dataset)) + dataset)
    print(f"wrote {out}: {len(entries)} entries")


if __name__ == "__main__":
    main()
