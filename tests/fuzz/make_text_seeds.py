#!/usr/bin/env python3
"""Writes the seed inputs of fuzz_preset and fuzz_cli_args: small valid presets and argument
lists, plus a few the parsers must refuse (bad patterns, types, labels).
Usage: make_text_seeds.py PRESET_DIR CLI_DIR"""
import json
import pathlib
import sys

HEAD = {"format": "quantbench-preset", "version": 1}

PRESETS = {
    "minimal": {**HEAD, "base_label": "Q4_0"},
    "full": {**HEAD, "base_label": "Q4_K_M", "notes": "seed",
             "rules": [{"pattern": r"blk\.[0-3]\.attn_(q|k|v)", "type": "Q8_0"},
                       {"pattern": "ffn_down", "type": "q6_k"},
                       {"pattern": r"^(?!.*ffn).*weight$", "type": "Q5_K"}],
             "tensor_types": {"output.weight": "F16", "blk.0.ffn_up.weight": "IQ4_NL"},
             "output_tensor_type": "Q6_K", "token_embedding_type": None, "pure": False,
             "leave_output_tensor": True, "allow_requantize": False,
             "imatrix": {"file": "m.dat", "include_weights": ["attn"], "exclude_weights": []}},
    "by_id": {**HEAD, "base_label": "15", "pure": True, "tensor_types": {"token_embd.weight": "q8_0"}},
    "refused_pattern": {**HEAD, "base_label": "Q2_K", "rules": [{"pattern": "(a*)*b{64}", "type": "Q8_0"}]},
    "refused_type": {**HEAD, "base_label": "IQ2_XS", "rules": [{"pattern": "x", "type": "Q9_K"}]},
}

# fuzz_cli_args' layout: one argument per line, its first byte says which option it is for.
ARGS = {
    "mix": ["lQ4_K_M", r"t^blk\.[0-9]+\.attn_v=q8_0", "tffn_down=Q6_K", "yq8_0", "kgeneral.name=str:x"],
    "labels": ["l15", "Lall", "LQ4_0,q8_0,IQ2_XS", "kllama.context_length=int:4096", "kx=bool:false",
               "kf=float:0.5"],
    "file": ["lIQ4_XS", "fattn_v=q8_0\x01ffn_(up|gate)=q5_k\x01\x01token_embd=q4_0", "toutput=f16"],
    "refused": ["lQ2_K", "t(a|a)*{3}=q8_0", "t(((a)))=q4_k", r"t\bblk=bf16", "kbad", "tx{99999}=q8_0",
                "t(a)\\1=q8_0", "yQ9_9", "LQ4_0,nope"],
}


def main():
    preset_dir, cli_dir = (pathlib.Path(p) for p in sys.argv[1:3])
    for name, doc in PRESETS.items():
        (preset_dir / f"{name}.json").write_text(json.dumps(doc, indent=1))
    for name, lines in ARGS.items():
        (cli_dir / name).write_bytes(("\n".join(lines) + "\n").encode())


if __name__ == "__main__":
    main()
