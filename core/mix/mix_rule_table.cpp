// The rule rows. Each block mirrors one branch of llama.cpp b4748's llama_tensor_get_type.
#include "mix/mix_rule_table.h"

#include <array>
#include <string>

namespace qb::mixrules {
namespace {

using F = LlamaFtype;
using T = GgmlType;
using C = const RuleContext &;

constexpr uint64_t kAll = 0;
constexpr uint64_t kLowBit = ftypeSet(F::IQ2_XXS, F::IQ2_XS, F::IQ1_S, F::IQ2_S, F::IQ2_M, F::IQ1_M);

bool ffnFirstEighth(C c) { return c.layer < c.layers / 8; }
bool ffnFirstSixteenth(C c) { return c.layer < c.layers / 16; }
bool ffnMoreBits(C c) { return useMoreBits(c.layer, c.layers); }
bool ffnMiddle(C c) { return c.layer >= c.layers / 8 && c.layer < 7 * c.layers / 8; }
bool gqa4(C c) { return c.gqa >= 4; }
bool eightExperts(C c) { return c.experts == 8; }
bool notEightExperts(C c) { return c.experts != 8; }

// clang-format off
constexpr std::array kRules = {
    // output.weight (or token_embd.weight when there is no output.weight: tied embeddings)
    TypeRule{Role::Output, Group::Any, ftypeSet(F::MXFP4_MOE), nullptr, "output: MXFP4_MOE label keeps output at", T::Q8_0},
    TypeRule{Role::Output, Group::Any, kAll, [](C c) { return c.falcon || c.rowLength % typeTraits(c.current).blockSize != 0; },
             "output: rows not a multiple of the base type's block (or Falcon)", T::Q8_0},
    TypeRule{Role::Output, Group::Any, kLowBit | ftypeBit(F::IQ3_XXS), nullptr, "output: very-low-bit label keeps output at", T::Q5_K},
    TypeRule{Role::Output, Group::Any, kAll, [](C c) { return c.current != T::Q8_0; }, "output: always at least", T::Q6_K},

    // MXFP4_MOE (2026-09): stacked experts in MXFP4, every other tensor Q8_0
    TypeRule{Role::AnyButOutput, Group::Any, ftypeSet(F::MXFP4_MOE), [](C c) { return c.threeD && (!c.bailingMoe3 || c.role == Role::FfnUp || c.role == Role::FfnGate || c.role == Role::FfnDown); },
             "MXFP4_MOE: 3-D expert tensor", T::MXFP4},
    TypeRule{Role::AnyButOutput, Group::Any, ftypeSet(F::MXFP4_MOE), nullptr, "MXFP4_MOE: not an expert tensor", T::Q8_0},

    // token_embd.weight
    TypeRule{Role::TokenEmbd, Group::Any, ftypeSet(F::IQ2_XXS, F::IQ2_XS, F::IQ1_S, F::IQ1_M), nullptr, "token_embd: very-low-bit label uses", T::Q2_K},
    TypeRule{Role::TokenEmbd, Group::Any, ftypeSet(F::IQ2_S, F::IQ2_M, F::IQ3_XXS), nullptr, "token_embd: low-bit label uses", T::IQ3_S},
    TypeRule{Role::TokenEmbd, Group::Any, ftypeSet(F::TQ1_0, F::TQ2_0, F::Q2_0), nullptr, "token_embd: ternary or Q2_0 label uses", T::Q4_K},

    // very-low-bit labels
    TypeRule{Role::AttnV, Group::LowBit, kAll, [](C c) { return c.gqa >= 4 || c.experts >= 4; }, "attn_v: GQA >= 4 or >= 4 experts", T::Q4_K},
    TypeRule{Role::AttnV, Group::LowBit, ftypeSet(F::IQ2_S, F::IQ2_M), nullptr, "attn_v: IQ2_S/IQ2_M label", T::IQ3_S},
    TypeRule{Role::AttnV, Group::LowBit, kAll, nullptr, "attn_v: very-low-bit label", T::Q2_K},
    TypeRule{Role::AttnK, Group::LowBit, kAll, eightExperts, "attn_k: 8-expert model", T::Q4_K},
    TypeRule{Role::FfnDown, Group::LowBit, ftypeSet(F::IQ2_S, F::IQ2_M), ffnFirstEighth, "ffn_down: first eighth of the layers", T::IQ3_S},
    TypeRule{Role::FfnDown, Group::LowBit, kAll, ffnFirstEighth, "ffn_down: first eighth of the layers", T::Q2_K},
    TypeRule{Role::AttnOutput, Group::LowBit, kAll, eightExperts, "attn_output: 8-expert model", T::Q5_K},
    TypeRule{Role::AttnOutput, Group::LowBit, ftypeSet(F::IQ1_S, F::IQ1_M), nullptr, "attn_output: IQ1 label", T::IQ2_XXS},
    TypeRule{Role::AttnOutput, Group::LowBit, ftypeSet(F::IQ2_S, F::IQ2_M), nullptr, "attn_output: IQ2_S/IQ2_M label", T::IQ3_S},

    // attn_v
    TypeRule{Role::AttnV, Group::Normal, ftypeSet(F::Q2_K), gqa4, "attn_v: GQA >= 4", T::Q4_K},
    TypeRule{Role::AttnV, Group::Normal, ftypeSet(F::Q2_K), nullptr, "attn_v: Q2_K label", T::Q3_K},
    TypeRule{Role::AttnV, Group::Normal, ftypeSet(F::Q2_K_S), gqa4, "attn_v: GQA >= 4", T::Q4_K},
    TypeRule{Role::AttnV, Group::Normal, ftypeSet(F::IQ3_XXS), gqa4, "attn_v: GQA >= 4", T::Q4_K},
    TypeRule{Role::AttnV, Group::Normal, ftypeSet(F::IQ3_XXS), [](C c) { return !c.hasImatrix; }, "attn_v: no importance matrix", T::IQ3_S},
    TypeRule{Role::AttnV, Group::Normal, ftypeSet(F::IQ3_XXS), nullptr, "attn_v: with importance matrix", T::IQ3_XXS},
    TypeRule{Role::AttnV, Group::Normal, ftypeSet(F::IQ3_XS, F::IQ3_S), gqa4, "attn_v: GQA >= 4", T::Q4_K},
    TypeRule{Role::AttnV, Group::Normal, ftypeSet(F::IQ3_M), nullptr, "attn_v: IQ3_M label", T::Q4_K},
    TypeRule{Role::AttnV, Group::Normal, ftypeSet(F::Q3_K_M), [](C c) { return c.attnV < 2; }, "attn_v: one of the first two", T::Q5_K},
    TypeRule{Role::AttnV, Group::Normal, ftypeSet(F::Q3_K_M), nullptr, "attn_v: Q3_K_M label", T::Q4_K},
    TypeRule{Role::AttnV, Group::Normal, ftypeSet(F::Q3_K_L), nullptr, "attn_v: Q3_K_L label", T::Q5_K},
    TypeRule{Role::AttnV, Group::Normal, ftypeSet(F::IQ4_NL, F::IQ4_XS), gqa4, "attn_v: GQA >= 4", T::Q5_K},
    TypeRule{Role::AttnV, Group::Normal, ftypeSet(F::Q4_K_M, F::Q5_K_M), [](C c) { return useMoreBits(c.attnV, c.attnVCount); },
             "attn_v: use_more_bits", T::Q6_K},
    TypeRule{Role::AttnV, Group::Normal, ftypeSet(F::Q4_K_S), [](C c) { return c.attnV < 4; }, "attn_v: one of the first four", T::Q5_K},

    // attn_k, attn_q
    TypeRule{Role::AttnK, Group::Normal, kAll, eightExperts, "attn_k: 8-expert model", T::Q8_0},
    TypeRule{Role::AttnK, Group::Normal, ftypeSet(F::IQ3_XS), nullptr, "attn_k: IQ3_XS label", T::IQ3_XXS},
    TypeRule{Role::AttnK, Group::Normal, ftypeSet(F::IQ3_XXS), nullptr, "attn_k: IQ3_XXS label", T::IQ2_S},
    TypeRule{Role::AttnQ, Group::Normal, ftypeSet(F::IQ3_XS), nullptr, "attn_q: IQ3_XS label", T::IQ3_XXS},
    TypeRule{Role::AttnQ, Group::Normal, ftypeSet(F::IQ3_XXS), nullptr, "attn_q: IQ3_XXS label", T::IQ2_S},

    // ffn_down
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::Q2_K), nullptr, "ffn_down: Q2_K label", T::Q3_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::Q2_K_S), ffnFirstEighth, "ffn_down: first eighth of the layers", T::Q4_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::IQ3_XXS), [](C c) { return !c.hasImatrix && ffnFirstEighth(c); },
             "ffn_down: no importance matrix, first eighth of the layers", T::Q4_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::IQ3_XXS), [](C c) { return !c.hasImatrix; }, "ffn_down: no importance matrix", T::Q3_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::Q3_K_M), ffnFirstSixteenth, "ffn_down: first sixteenth of the layers", T::Q5_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::Q3_K_M), [](C c) { return !c.falcon || ffnMoreBits(c); }, "ffn_down: Q3_K_M label", T::Q4_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::Q3_K_M), nullptr, "ffn_down: Falcon layer without use_more_bits", T::Q3_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::IQ3_M), [](C c) { return ffnFirstEighth(c) || (c.experts == 8 && ffnMoreBits(c)); },
             "ffn_down: first eighth of the layers (or use_more_bits with 8 experts)", T::Q4_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::Q3_K_L), [](C c) { return c.falcon; }, "ffn_down: Falcon", T::Q4_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::Q3_K_L), nullptr, "ffn_down: Q3_K_L label", T::Q5_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::Q4_K_M), [](C c) { return c.falcon && ffnFirstSixteenth(c); }, "ffn_down: Falcon, first sixteenth", T::Q6_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::Q4_K_M), [](C c) { return c.falcon && ffnMoreBits(c); }, "ffn_down: Falcon, use_more_bits", T::Q5_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::Q4_K_M), [](C c) { return c.falcon; }, "ffn_down: Falcon", T::Q4_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::Q4_K_M), ffnMoreBits, "ffn_down: use_more_bits", T::Q6_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::IQ4_NL, F::IQ4_XS), [](C c) { return ffnFirstEighth(c) && !c.hasImatrix; },
             "ffn_down: no importance matrix, first eighth of the layers", T::Q5_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::Q5_K_M), ffnMoreBits, "ffn_down: use_more_bits", T::Q6_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::Q4_K_S), [](C c) { return !c.falcon && ffnFirstEighth(c); },
             "ffn_down: first eighth of the layers", T::Q5_K},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::Q4_0), [](C c) { return c.hasImatrix && ffnFirstEighth(c); },
             "ffn_down: importance matrix, first eighth of the layers (guard)", T::Q4_1},
    TypeRule{Role::FfnDown, Group::Normal, ftypeSet(F::Q5_0), [](C c) { return c.hasImatrix && ffnFirstEighth(c); },
             "ffn_down: importance matrix, first eighth of the layers (guard)", T::Q5_1},

    // attn_output
    TypeRule{Role::AttnOutput, Group::Normal,
             ftypeSet(F::Q2_K, F::IQ3_XS, F::IQ3_XXS, F::Q3_K_S, F::Q3_K_M, F::IQ4_NL, F::Q4_K_S, F::Q4_K_M, F::IQ3_S, F::IQ3_M, F::IQ4_XS),
             [](C c) { return !c.falcon && eightExperts(c); }, "attn_output: 8-expert model", T::Q5_K},
    TypeRule{Role::AttnOutput, Group::Normal, ftypeSet(F::Q2_K), [](C c) { return !c.falcon && notEightExperts(c); }, "attn_output: Q2_K label", T::Q3_K},
    TypeRule{Role::AttnOutput, Group::Normal, ftypeSet(F::IQ3_XXS), [](C c) { return !c.falcon && notEightExperts(c); }, "attn_output: IQ3_XXS label", T::IQ3_S},
    TypeRule{Role::AttnOutput, Group::Normal, ftypeSet(F::Q3_K_M), [](C c) { return !c.falcon && notEightExperts(c); }, "attn_output: Q3_K_M label", T::Q4_K},
    TypeRule{Role::AttnOutput, Group::Normal, ftypeSet(F::Q3_K_L), [](C c) { return !c.falcon && notEightExperts(c); }, "attn_output: Q3_K_L label", T::Q5_K},
    TypeRule{Role::AttnOutput, Group::Normal, ftypeSet(F::IQ3_M), [](C c) { return !c.falcon && notEightExperts(c); }, "attn_output: IQ3_M label", T::Q4_K},
    TypeRule{Role::AttnOutput, Group::Normal, ftypeSet(F::Q3_K_L), [](C c) { return c.falcon; }, "attn_output: Falcon", T::Q4_K},

    // attn_qkv (fused projections)
    TypeRule{Role::AttnQkv, Group::Normal, ftypeSet(F::Q3_K_M, F::Q3_K_L, F::IQ3_M), nullptr, "attn_qkv: 3-bit label", T::Q4_K},
    TypeRule{Role::AttnQkv, Group::Normal, ftypeSet(F::Q4_K_M), nullptr, "attn_qkv: Q4_K_M label", T::Q5_K},
    TypeRule{Role::AttnQkv, Group::Normal, ftypeSet(F::Q5_K_M), nullptr, "attn_qkv: Q5_K_M label", T::Q6_K},

    // ffn_gate, ffn_up
    TypeRule{Role::FfnGate, Group::Normal, ftypeSet(F::IQ3_XS), ffnMiddle, "ffn_gate: middle layers", T::IQ3_XXS},
    TypeRule{Role::FfnUp, Group::Normal, ftypeSet(F::IQ3_XS), ffnMiddle, "ffn_up: middle layers", T::IQ3_XXS},
};
// clang-format on

// clang-format off
constexpr std::array kAttnVAdjustments = {
    TypeRule{Role::AttnV, Group::Normal, kAll, [](C c) { return c.experts == 8; }, "attn_v: 8-expert model", T::Q8_0},
    TypeRule{Role::AttnV, Group::Normal, kAll, [](C c) { return c.is70B && (c.current == T::Q3_K || c.current == T::Q4_K); },
             "attn_v: 70B model (8 heads share attn_v)", T::Q5_K},
};
// clang-format on

bool rowApplies(const TypeRule &rule, Role role, const RuleContext &c) {
    if (rule.role != role && !(rule.role == Role::AnyButOutput && role != Role::Output)) return false;
    if (rule.group == Group::LowBit && !isLowBitLabel(c.ftype)) return false;
    if (rule.group == Group::Normal && isLowBitLabel(c.ftype)) return false;
    if (rule.ftypes != kAll && !(rule.ftypes & ftypeBit(c.ftype))) return false;
    return !rule.when || rule.when(c);
}

} // namespace

const char *roleName(Role role) {
    switch (role) {
    case Role::Output: return "output";
    case Role::TokenEmbd: return "token_embd";
    case Role::AttnV: return "attn_v";
    case Role::AttnK: return "attn_k";
    case Role::AttnQ: return "attn_q";
    case Role::AttnOutput: return "attn_output";
    case Role::AttnQkv: return "attn_qkv";
    case Role::FfnDown: return "ffn_down";
    case Role::FfnGate: return "ffn_gate";
    case Role::FfnUp: return "ffn_up";
    case Role::Other: return "other";
    case Role::AnyButOutput: return "any";
    }
    return "other";
}

bool isLowBitLabel(LlamaFtype ftype) { return (kLowBit & ftypeBit(ftype)) != 0; }

std::span<const TypeRule> typeRules() { return kRules; }

const TypeRule *findRule(Role role, const RuleContext &context) {
    for (const auto &rule : kRules)
        if (rowApplies(rule, role, context)) return &rule;
    return nullptr;
}

const TypeRule *findAttnVAdjustment(const RuleContext &context) {
    // 8 experts overrides everything (it is applied last in llama.cpp), so it is checked first here.
    for (const auto &rule : kAttnVAdjustments)
        if (rowApplies(rule, Role::AttnV, context)) return &rule;
    return nullptr;
}

std::optional<GgmlType> fallbackFor(GgmlType type) {
    switch (type) {
    case T::TQ1_0:
    case T::TQ2_0: return T::Q4_0;
    case T::IQ2_XXS:
    case T::IQ2_XS:
    case T::IQ2_S:
    case T::IQ3_XXS:
    case T::IQ3_S:
    case T::IQ1_S:
    case T::IQ1_M:
    case T::Q2_K:
    case T::Q3_K:
    case T::IQ4_XS: return T::IQ4_NL;
    case T::Q4_K: return T::Q5_0;
    case T::Q5_K: return T::Q5_1;
    case T::Q6_K: return T::Q8_0;
    default: return std::nullopt;
    }
}

std::optional<GgmlType> fallbackFor2026(GgmlType type) {
    switch (type) {
    case T::IQ1_S:
    case T::IQ1_M:
    case T::IQ2_XXS:
    case T::IQ2_XS:
    case T::IQ2_S:
    case T::IQ3_XXS:
    case T::IQ3_S:
    case T::IQ4_XS: return T::IQ4_NL;
    case T::Q2_0:
    case T::Q2_K:
    case T::Q3_K:
    case T::TQ1_0:
    case T::TQ2_0: return T::Q4_0;
    case T::Q4_K: return T::Q5_0;
    case T::Q5_K: return T::Q5_1;
    case T::Q6_K: return T::Q8_0;
    default: return typeTraits(type).blockSize <= 32 ? std::optional<GgmlType>(type) : std::nullopt;
    }
}

namespace {
struct NameExclusion {
    enum Kind { Contains, Equals } kind;
    const char *text;
    const char *why;
};
// clang-format off
constexpr std::array kExclusions = {
    NameExclusion{NameExclusion::Contains, "_norm.weight", "normalisation weights are never quantized"},
    NameExclusion{NameExclusion::Contains, "ffn_gate_inp.weight", "expert router (ffn_gate_inp) is never quantized"},
    NameExclusion{NameExclusion::Contains, "ssm_conv1d.weight", "Mamba ssm_conv1d is never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_first.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_w1.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_w2.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_decay_w1.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_decay_w2.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_lerp_fused.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "attn_rel_b.weight", "T5 relative position bias is never quantized"},
    NameExclusion{NameExclusion::Equals, "position_embd.weight", "positional embeddings are never quantized"},
    NameExclusion{NameExclusion::Equals, "token_types.weight", "token type embeddings are never quantized"},
};
// clang-format on
} // namespace

const char *neverQuantizedReason(std::string_view name, std::string_view) {
    constexpr std::string_view suffix = "weight";
    if (name.size() < suffix.size() || name.substr(name.size() - suffix.size()) != suffix)
        return "name does not end in 'weight': never quantized";
    for (const auto &e : kExclusions) {
        const bool hit = e.kind == NameExclusion::Equals ? name == e.text : name.find(e.text) != std::string_view::npos;
        if (hit) return e.why;
    }
    return nullptr;
}

namespace {
// clang-format off
constexpr std::array kExclusions2026 = {
    NameExclusion{NameExclusion::Contains, "_norm.weight", "normalisation weights are never quantized"},
    NameExclusion{NameExclusion::Contains, "ffn_gate_inp.weight", "expert router (ffn_gate_inp) is never quantized"},
    NameExclusion{NameExclusion::Contains, "ffn_gate_tid2eid.weight", "token-to-expert routing table is never quantized"},
    NameExclusion{NameExclusion::Contains, "altup", "AltUp tensors are tiny: never quantized"},
    NameExclusion{NameExclusion::Contains, "laurel", "LAuReL tensors are tiny: never quantized"},
    NameExclusion{NameExclusion::Contains, "per_layer_model_proj", "per-layer model projection is kept as is"},
    NameExclusion{NameExclusion::Equals, "position_embd.weight", "positional embeddings are never quantized"},
    NameExclusion{NameExclusion::Equals, "token_types.weight", "token type embeddings are never quantized"},
    NameExclusion{NameExclusion::Contains, "ssm_conv1d", "Mamba ssm_conv1d is never quantized"},
    NameExclusion{NameExclusion::Contains, "shortconv.conv.weight", "short convolution weights are never quantized"},
    NameExclusion{NameExclusion::Contains, "indexer.k_proj.weight", "indexer projections are tiny: never quantized"},
    NameExclusion{NameExclusion::Contains, "indexer.q_proj.weight", "indexer projections are tiny: never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_first.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_w0.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_w1.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_w2.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_v0.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_v1.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_v2.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_a0.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_a1.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_a2.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_g1.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_g2.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_decay_w1.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_decay_w2.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "time_mix_lerp_fused.weight", "RWKV time_mix tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "attn_rel_b.weight", "T5 relative position bias is never quantized"},
    NameExclusion{NameExclusion::Contains, ".position_embd", "multimodal positional embeddings are never quantized"},
    NameExclusion{NameExclusion::Contains, "sam.pos_embd", "multimodal SAM tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "sam.neck.", "multimodal SAM tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "sam.net_", "multimodal SAM tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, ".rel_pos", "relative position tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, ".patch_embd", "patch embeddings are never quantized"},
    NameExclusion{NameExclusion::Contains, ".patch_merger", "patch merger tensors are never quantized"},
    NameExclusion{NameExclusion::Contains, "a.rvq.codebook", "audio codebooks are never quantized"},
    NameExclusion{NameExclusion::Contains, "mm.a.code_embd", "audio codebooks are never quantized"},
};
// clang-format on
} // namespace

const char *neverQuantizedReason2026(std::string_view name) {
    // llama.cpp tests name.rfind("weight") == size - 6, which also holds for a name of exactly "weight".
    constexpr std::string_view suffix = "weight";
    if (name.size() < suffix.size() || name.substr(name.size() - suffix.size()) != suffix)
        return "name does not end in 'weight': never quantized";
    for (const auto &e : kExclusions2026) {
        const bool hit = e.kind == NameExclusion::Equals ? name == e.text : name.find(e.text) != std::string_view::npos;
        if (hit) return e.why;
    }
    return nullptr;
}

bool useMoreBits(int layer, int layers) {
    return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

} // namespace qb::mixrules
