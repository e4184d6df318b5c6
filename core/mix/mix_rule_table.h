// Internal: the data behind decideMix(). One table per concern, read top to bottom, first
// matching row wins — the same order as llama.cpp b4748's else-if chains, so a row can be
// checked against the original line by line. Not part of the public API.
// The 2026-09 rule set (mix_walker_2026.cpp) reads the same tables: its chain is b4748's plus rows
// only its new labels reach (MXFP4_MOE, Q2_0), so one table serves both; what differs in control
// flow (tensor categories, tied embeddings, fallbacks, exclusions, importance refusals) is below.
#pragma once

#include "ggml_types.h"
#include "mix/quant_label.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace qb::mixrules {

// A tensor's role, from its name (llama.cpp matches substrings in this order).
enum class Role { Output, TokenEmbd, AttnV, AttnK, AttnQ, AttnOutput, AttnQkv, FfnDown, FfnGate, FfnUp, Other,
                  AnyButOutput /* rows only: every role but Output */ };

const char *roleName(Role role);

// Everything a rule may look at.
struct RuleContext {
    LlamaFtype ftype{};
    GgmlType current = GgmlType::F32; // the base type before this rule
    int64_t rowLength = 0;
    bool hasImatrix = false;
    bool falcon = false;
    bool is70B = false;
    int gqa = 0;                   // n_head / n_head_kv of layer 0 (0 when unknown)
    int experts = 0;               // n_expert
    int layer = 0, layers = 1;     // ffn position (parsed from the name for MoE models)
    int attnV = 0, attnVCount = 0; // i_attention_wv / n_attention_wv
    // 2026-09 only:
    Role role = Role::Other;  // the tensor's role (MXFP4_MOE's expert test)
    bool threeD = false;      // ne[2] > 1: stacked experts (or an MLA projection)
    bool bailingMoe3 = false; // architecture bailingmoe3 (its 3-D MLA tensors are not experts)
};

// Which part of llama.cpp's chain a row belongs to: the very-low-bit labels have their own.
enum class Group { Any, LowBit, Normal };

struct TypeRule {
    Role role;
    Group group;
    uint64_t ftypes;                   // bit per LlamaFtype id; 0 = every label
    bool (*when)(const RuleContext &); // nullptr = always
    const char *why;                   // shown to the user
    GgmlType type;
};

constexpr uint64_t ftypeBit(LlamaFtype f) { return uint64_t(1) << int(f); }
template <typename... Fs> constexpr uint64_t ftypeSet(Fs... fs) { return (ftypeBit(fs) | ...); }

// IQ2_XXS, IQ2_XS, IQ1_S, IQ2_S, IQ2_M, IQ1_M: llama.cpp's separate very-low-bit branch.
bool isLowBitLabel(LlamaFtype ftype);

std::span<const TypeRule> typeRules();

// First row matching role, label and context; nullptr when the base type stays.
const TypeRule *findRule(Role role, const RuleContext &context);

// A second pass on attn_v (70B and 8-expert bumps), applied after the table for normal labels.
const TypeRule *findAttnVAdjustment(const RuleContext &context);

// Row length not a multiple of the block: the replacement type, or nullopt when llama.cpp
// has none (legacy and 32-wide types: "Unsupported tensor size encountered").
std::optional<GgmlType> fallbackFor(GgmlType type);

// 2026-09's fallback (tensor_type_fallback): nullopt when it refuses ("no tensor type fallback is
// defined"); a 32-wide (or smaller) type returns itself, which then becomes F16 like any fallback
// that still does not fit.
std::optional<GgmlType> fallbackFor2026(GgmlType type);

// 2026-09's longer list of names never quantized (tensor_allows_quantization). Same contract.
const char *neverQuantizedReason2026(std::string_view name);

// Name-based exclusions from quantization (llama_model_quantize_impl's `quantize &=` lines).
// Returns the reason when a 2-D+ tensor is never quantized, nullptr otherwise.
const char *neverQuantizedReason(std::string_view name, std::string_view arch);

// llama.cpp's use_more_bits(): first and last eighth, and every third layer in between.
bool useMoreBits(int layer, int layers);

} // namespace qb::mixrules
