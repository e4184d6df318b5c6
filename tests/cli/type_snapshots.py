#!/usr/bin/env python3
"""llama.cpp's type-selection snapshots (tests/snapshots/*.schema of the fetched 0ad4a86 sources)
against QuantBench's --dry-run with --rules 2026-09.

A snapshot names a real model, its dimensions in a header line, and per label ("[Q4_K_M] q4_K")
every tensor whose type differs from the label's default. For the architectures listed in LAYOUTS
this builds the model's tensor list from those dimensions, writes a sparse GGUF of the right shapes
(no data: a dry run reads none), runs the dry run for every label of the snapshot, and requires
every tensor's type to be the snapshot's (its listed type, or the default when unlisted), and every
tensor the snapshot lists to exist in the list built (so a missing tensor kind cannot go unnoticed).
Usage: type_snapshots.py CLI SNAPSHOT_DIR WORK_DIR"""
import os
import re
import struct
import subprocess
import sys

# Dense architectures whose per-layer tensors are the llama set (names as llama.cpp's LLM_TN
# writes them); head_dim when it is not n_embd / n_head. Mixture-of-experts and hybrid models
# (DeepSeek MLA, gpt-oss, GLM, Nemotron, Qwen3-Next/3.5, Step) need layouts not built here.
LAYOUTS = {
    "qwen3-0.6b.schema": ("qwen3", 128),
    "qwen3-14b.schema": ("qwen3", 128),
    "meta-llama-3.1-70b-instruct.schema": ("llama", None),
    "gemma-3-4b-it.schema": ("gemma3", 256),
}
# NVFP4 has an ftype (39) but no llama-quantize label; llama_ftype_get_default_type() refuses it.
SKIPPED_SECTIONS = {"NVFP4"}


def parse_snapshot(path):
    header, sections, cur = {}, {}, None
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("# n_embd="):
            header = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
        elif line.startswith("["):
            label, default = re.match(r"\[(\S+)\]\s+(\S+)", line).groups()
            cur = sections[label] = (default, {})
        elif line and not line.startswith("#"):
            name, t = line.rsplit(" ", 1)
            cur[1][name] = t
    return header, sections


def tensor_list(h, head_dim, tied):
    e, ff, hd = h["n_embd"], h["n_ff"], head_dim or h["n_embd"] // h["n_head"]
    q, kv = h["n_head"] * hd, h["n_head_kv"] * hd
    out = [("token_embd.weight", (e, h["n_vocab"])), ("output_norm.weight", (e,))]
    if not tied:
        out.append(("output.weight", (e, h["n_vocab"])))
    for i in range(h["n_layer"]):
        b = f"blk.{i}."
        out += [(b + "attn_norm.weight", (e,)), (b + "attn_q.weight", (e, q)), (b + "attn_k.weight", (e, kv)),
                (b + "attn_v.weight", (e, kv)), (b + "attn_output.weight", (q, e)), (b + "ffn_norm.weight", (e,)),
                (b + "ffn_gate.weight", (e, ff)), (b + "ffn_up.weight", (e, ff)), (b + "ffn_down.weight", (ff, e))]
    return out


def write_sparse_gguf(path, arch, h, tensors):
    def s(x):
        b = x.encode()
        return struct.pack("<Q", len(b)) + b
    kv = [("general.architecture", 8, s(arch)), ("general.file_type", 4, struct.pack("<I", 1))]
    for key, value in (("block_count", h["n_layer"]), ("embedding_length", h["n_embd"]),
                       ("feed_forward_length", h["n_ff"]), ("attention.head_count", h["n_head"]),
                       ("attention.head_count_kv", h["n_head_kv"]), ("context_length", 4096)):
        kv.append((f"{arch}.{key}", 4, struct.pack("<I", value)))
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv))
    for key, t, v in kv:
        head += s(key) + struct.pack("<I", t) + v
    offset, infos = 0, b""
    for name, shape in tensors:
        ggml_type, nbytes = (0, 4) if len(shape) == 1 else (1, 2)  # norms F32, matrices F16
        infos += s(name) + struct.pack("<I", len(shape)) + b"".join(struct.pack("<q", d) for d in shape)
        infos += struct.pack("<IQ", ggml_type, offset)
        size = nbytes
        for d in shape:
            size *= d
        offset += (size + 31) // 32 * 32
    head += infos
    start = (len(head) + 31) // 32 * 32
    with open(path, "wb") as f:
        f.write(head + b"\0" * (start - len(head)))
        f.truncate(start + offset)  # a hole: no data is written or read


def main():
    cli, snapdir, work = sys.argv[1:4]
    fails, checked, models = 0, 0, 0
    schemas = sorted(f for f in os.listdir(snapdir) if f.endswith(".schema"))
    if len(schemas) < 12:
        print(f"FAIL: only {len(schemas)} snapshots in {snapdir}")
        return 1
    for name in schemas:
        if name not in LAYOUTS:
            print(f"not covered (no tensor layout for its architecture here): {name}")
            continue
        arch, head_dim = LAYOUTS[name]
        h, sections = parse_snapshot(os.path.join(snapdir, name))
        tied = not any("output.weight" in ov for _, ov in sections.values())
        tensors = tensor_list(h, head_dim, tied)
        path = os.path.join(work, name + ".gguf")
        write_sparse_gguf(path, arch, h, tensors)
        known = {n for n, _ in tensors}
        models += 1
        for label, (default, overrides) in sections.items():
            if label in SKIPPED_SECTIONS:
                continue
            missing = sorted(set(overrides) - known)
            if missing:
                print(f"FAIL {name} [{label}]: snapshot tensors not in the built list: {missing[:4]}")
                fails += 1
                continue
            r = subprocess.run([cli, "quantize", "--rules", "2026-09", "--dry-run", path, os.path.join(work, "x.gguf"),
                                label], capture_output=True, text=True)
            if r.returncode != 0:
                print(f"FAIL {name} [{label}]: dry run exit {r.returncode}: {r.stderr.strip()[-200:]}")
                fails += 1
                continue
            got = dict(re.findall(r"^\[\s*\d+/\s*\d+\] (\S+)\s+\[[^\]]*\]\s+\S+ -> (\S+)", r.stdout, re.M))
            bad = []
            for tname, shape in tensors:
                if len(shape) < 2:
                    continue
                want = overrides.get(tname, default)
                if got.get(tname, "?").lower() != want.lower():
                    bad.append(f"{tname}: {got.get(tname)} vs {want}")
            checked += 1
            if bad:
                fails += 1
                print(f"FAIL {name} [{label}]: {len(bad)} tensors differ: {bad[:4]}")
        os.remove(path)
    print(f"{models} snapshot models, {checked} labels checked tensor by tensor, {fails} failures")
    return 0 if fails == 0 and checked > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
