#!/usr/bin/env python3
"""Compares two GGUF files tensor by tensor: names in order, types, shapes and the bytes of each
tensor's data (sha256). Metadata is not compared (a newer llama.cpp writes other keys).
Reads the tensor table through `quantbench-cli inspect --json`.
Usage: compare_tensors.py CLI A.gguf B.gguf   (exit 0 when every tensor matches)"""
import hashlib
import json
import subprocess
import sys


def tensors(cli, path):
    info = json.loads(subprocess.run([cli, "inspect", "--json", path], check=True,
                                     capture_output=True, text=True).stdout)
    out = []
    with open(path, "rb") as f:
        for t in info["tensors"]:
            f.seek(t["offset"])
            digest = hashlib.sha256(f.read(t["bytes"])).hexdigest()
            out.append((t["name"], t["type"], tuple(t["shape"]), digest))
    return out


def main():
    cli, a, b = sys.argv[1:4]
    ta, tb = tensors(cli, a), tensors(cli, b)
    bad = [f"{x[0]}: {x[1]} vs {y[1]}" + (" (bytes differ)" if x[1] == y[1] else "")
           for x, y in zip(ta, tb) if x != y]
    if len(ta) != len(tb):
        bad.append(f"tensor count {len(ta)} vs {len(tb)}")
    if bad:
        print(f"{len(bad)} of {max(len(ta), len(tb))} tensors differ: " + "; ".join(bad[:5]))
        return 1
    print(f"all {len(ta)} tensors identical (names, order, types, shapes, data)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
