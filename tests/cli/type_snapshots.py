#!/usr/bin/env python3
"""llama.cpp's type-selection snapshots (tests/snapshots/*.schema of the fetched 0ad4a86 sources)
against QuantBench's --dry-run with --rules 2026-09.

A snapshot names a real model, its dimensions in a header line, and per label ("[Q4_K_M] q4_K")
every tensor whose type differs from the label's default. For the architectures listed in LAYOUTS
this builds the model's tensor list from those dimensions, writes a sparse GGUF of the right shapes
(no data: a dry run reads none), runs the dry run for every label of the snapshot, and requires
every tensor's type to be the snapshot's (its listed type, or the default when unlisted), and every
tensor the snapshot lists to exist in the list built (so a missing tensor kind cannot go unnoticed).
Every snapshot must have a layout here: a new one in a later release fails until it is added.
Usage: type_snapshots.py CLI SNAPSHOT_DIR WORK_DIR"""
import os
import re
import struct
import subprocess
import sys

# Per model: llama.cpp's architecture name and the layer plan of the real model (its config): which
# kind each layer is and the shapes (ne0, ne1[, ne2]) of its quantizable tensors, as llama.cpp's
# LLM_TN names and create_tensor() shapes them. Only the row length (ne0) and the expert count
# (ne2) enter the rules; ne1 is the real one too, so the sparse files have the real sizes.
SKIPPED_SECTIONS = {"NVFP4"}  # NVFP4 has an ftype (39) but no llama-quantize label


def dense_attn(e, n_head, n_kv, hd, gate=False):
    """attn_q/k/v/output of full attention; Qwen3-Next/3.5 fold a per-head gate into attn_q."""
    q = n_head * hd
    return {"attn_q": (e, 2 * q if gate else q), "attn_k": (e, n_kv * hd), "attn_v": (e, n_kv * hd),
            "attn_output": (q, e)}


def dense_ffn(e, ff, gate=True):
    out = {"ffn_up": (e, ff), "ffn_down": (ff, e)}
    if gate:
        out["ffn_gate"] = (e, ff)
    return out


def moe_ffn(e, ff_exp, n_exp, ff_shexp=None, gate=True):
    out = {"ffn_up_exps": (e, ff_exp, n_exp), "ffn_down_exps": (ff_exp, e, n_exp)}
    if gate:
        out["ffn_gate_exps"] = (e, ff_exp, n_exp)
    if ff_shexp:
        out.update({"ffn_up_shexp": (e, ff_shexp), "ffn_down_shexp": (ff_shexp, e)})
        if gate:
            out["ffn_gate_shexp"] = (e, ff_shexp)
    return out


def gated_delta_net(e, qk_heads, v_heads, head_dim, split_ab):
    """Qwen3-Next / Qwen3.5 linear-attention layers (ssm_conv1d is never quantized, left out)."""
    key, value = qk_heads * head_dim, v_heads * head_dim
    out = {"attn_qkv": (e, 2 * key + value), "attn_gate": (e, value), "ssm_out": (value, e)}
    if split_ab:
        out.update({"ssm_alpha": (e, v_heads), "ssm_beta": (e, v_heads)})
    else:
        out["ssm_ba"] = (e, 2 * v_heads)
    return out


def llama_like(h, hd):
    e = h["n_embd"]
    layer = {**dense_attn(e, h["n_head"], h["n_head_kv"], hd), **dense_ffn(e, h["n_ff"])}
    return [layer] * h["n_layer"]


def first_dense_then_moe(k, dense, moe, n):
    return [dense if i < k else moe for i in range(n)]


def every_fourth_full_attention(full, linear, ffn, n):
    return [{**(full if i % 4 == 3 else linear), **ffn} for i in range(n)]


def deepseek_v3(h):
    e, n_head, rank_q, rank_kv, nope, rope, hv = h["n_embd"], h["n_head"], 1536, 512, 128, 64, 128
    attn = {"attn_q_a": (e, rank_q), "attn_q_b": (rank_q, n_head * (nope + rope)),
            "attn_kv_a_mqa": (e, rank_kv + rope), "attn_k_b": (nope, rank_kv, n_head),
            "attn_v_b": (rank_kv, hv, n_head), "attn_output": (n_head * hv, e)}
    return first_dense_then_moe(3, {**attn, **dense_ffn(e, h["n_ff"])},
                                {**attn, **moe_ffn(e, 2048, h["n_expert"], 2048)}, h["n_layer"])


def nemotron_h(h):
    # hybrid_override_pattern of Nemotron-3-Nano-30B-A3B: M = Mamba-2, E = MoE, * = attention.
    pattern = "MEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEMEM*EMEMEMEME"
    e = h["n_embd"]
    kinds = {"M": {"ssm_in": (e, 2 * 4096 + 2 * 8 * 128 + 64), "ssm_out": (4096, e)},
             "E": moe_ffn(e, 1856, h["n_expert"], 3712, gate=False),
             "*": dense_attn(e, h["n_head"], 2, 128)}
    return [kinds[c] for c in pattern]


def LAYOUT(arch, layers, vocab=None):
    return {"arch": arch, "layers": layers, "vocab": vocab}


LAYOUTS = {
    "qwen3-0.6b.schema": LAYOUT("qwen3", lambda h: llama_like(h, 128)),
    "qwen3-14b.schema": LAYOUT("qwen3", lambda h: llama_like(h, 128)),
    "meta-llama-3.1-70b-instruct.schema": LAYOUT("llama", lambda h: llama_like(h, 128)),
    "gemma-3-4b-it.schema": LAYOUT("gemma3", lambda h: llama_like(h, 256)),
    "gpt-oss-120b.schema": LAYOUT(
        "gpt-oss", lambda h: [{**dense_attn(h["n_embd"], h["n_head"], h["n_head_kv"], 64),
                              **moe_ffn(h["n_embd"], 2880, h["n_expert"])}] * h["n_layer"], vocab=201088),
    "glm-4.6v.schema": LAYOUT("glm4moe", lambda h: first_dense_then_moe(
        1, {**dense_attn(4096, 96, 8, 128), **dense_ffn(4096, h["n_ff"])},
        {**dense_attn(4096, 96, 8, 128), **moe_ffn(4096, 1408, h["n_expert"], 1408)}, h["n_layer"])),
    "step-3.5-flash.schema": LAYOUT("step35", lambda h: first_dense_then_moe(
        3, {**dense_attn(4096, 64, 8, 128), "attn_gate": (4096, 64), **dense_ffn(4096, h["n_ff"])},
        {**dense_attn(4096, 64, 8, 128), "attn_gate": (4096, 64), **moe_ffn(4096, 1280, h["n_expert"], 1280)},
        h["n_layer"])),
    "deepseek-v3.1.schema": LAYOUT("deepseek2", deepseek_v3),
    "nvidia-nemotron-3-nano-30b-a3b.schema": LAYOUT("nemotron_h_moe", nemotron_h),
    "qwen3-coder-next.schema": LAYOUT("qwen3next", lambda h: every_fourth_full_attention(
        dense_attn(2048, 16, 2, 256, gate=True), gated_delta_net(2048, 16, 32, 128, split_ab=False),
        moe_ffn(2048, 512, h["n_expert"], 512), h["n_layer"])),
    "qwen3.5-397b-a17b.schema": LAYOUT("qwen35moe", lambda h: every_fourth_full_attention(
        dense_attn(4096, 32, 2, 256, gate=True), gated_delta_net(4096, 16, 64, 128, split_ab=True),
        moe_ffn(4096, 1024, h["n_expert"], 1024), h["n_layer"])),
    "qwen3.6-27b.schema": LAYOUT("qwen35", lambda h: every_fourth_full_attention(
        dense_attn(5120, 24, 4, 256, gate=True), gated_delta_net(5120, 16, 48, 128, split_ab=True),
        dense_ffn(5120, h["n_ff"]), h["n_layer"])),
}


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


def tensor_list(h, layout, tied):
    e, vocab = h["n_embd"], layout["vocab"] or h["n_vocab"]
    out = [("token_embd.weight", (e, vocab)), ("output_norm.weight", (e,))]
    if not tied:
        out.append(("output.weight", (e, vocab)))
    for i, layer in enumerate(layout["layers"](h)):
        out.append((f"blk.{i}.attn_norm.weight", (e,)))
        out += [(f"blk.{i}.{kind}.weight", shape) for kind, shape in layer.items()]
    return out


def write_sparse_gguf(path, arch, h, tensors):
    def s(x):
        b = x.encode()
        return struct.pack("<Q", len(b)) + b
    kv = [("general.architecture", 8, s(arch)), ("general.file_type", 4, struct.pack("<I", 1))]
    for key, value in (("block_count", h["n_layer"]), ("embedding_length", h["n_embd"]),
                       ("feed_forward_length", h["n_ff"]), ("attention.head_count", h["n_head"]),
                       ("attention.head_count_kv", h["n_head_kv"]), ("context_length", 4096),
                       ("expert_count", h.get("n_expert", 0))):
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
            print(f"FAIL: no tensor layout for {name}")
            fails += 1
            continue
        layout = LAYOUTS[name]
        h, sections = parse_snapshot(os.path.join(snapdir, name))
        tied = not any("output.weight" in ov for _, ov in sections.values())
        tensors = tensor_list(h, layout, tied)
        path = os.path.join(work, name + ".gguf")
        write_sparse_gguf(path, layout["arch"], h, tensors)
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
