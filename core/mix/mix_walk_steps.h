// The steps both rule sets' walkers (mix_rules.cpp for b4748, mix_walker_2026.cpp for 2026-09)
// take the same way: llama.cpp's control flow changed around them, these did not.
//
// Contract: pure functions of their arguments (no walker state); each says which llama.cpp code
// it follows, and any change here changes both rule sets' outputs (the golden mix tests and
// cli_llama_2026 guard them).
#pragma once

#include "gguf/gguf_model.h"
#include "mix/mix_rule_table.h"
#include "mix/mix_rules.h"
#include "mix/model_hparams.h"
#include "mix/tensor_pattern.h"

#include <string>
#include <utility>
#include <vector>

namespace qb::mixwalk {

// "Q4_K": ggml's type name in the upper case the reasons print.
std::string upper(GgmlType type);

// The tensors in llama-quantize's order; with --keep-split by split, then by offset within it
// (llama.cpp writes each part's tensors in file order).
std::vector<size_t> walkOrder(const GgufModel &model, bool keepSplit);

// The --tensor-type patterns, compiled once (every pattern is searched in every name, so their
// total cost is bounded too).
std::vector<TensorPattern> compileOverrides(const QuantizeOptions &options);

// The first --tensor-type pattern found in `name` (llama.cpp's first match wins), or -1.
int firstOverride(const std::vector<TensorPattern> &patterns, const std::string &name);

// layer_info(): an ffn tensor's layer is its position among ffn tensors, or for MoE models
// (experts > 1) the number in its name, since experts are not stored consecutively.
std::pair<int, int> ffnLayer(int counter, int layers, int experts, const std::string &name);

// The rule context both walkers start from: the label, the tensor's base type and row length,
// the model's hyperparameters and the attn_v counters.
mixrules::RuleContext ruleContext(const QuantLabel &label, GgmlType base, const GgufTensorInfo &info,
                                  bool hasImatrix, const ModelHparams &hparams, int attnV, int attnVCount);

// The rule table's choice for `role` (the label's base type when no row applies), then, where
// `adjustAttnV`, the attn_v adjustment; `reason` gets the row's why, `where`, and " -> TYPE".
GgmlType chooseFromTable(mixrules::Role role, mixrules::RuleContext c, bool adjustAttnV, const QuantLabel &label,
                         const std::string &where, std::string &reason);

} // namespace qb::mixwalk
