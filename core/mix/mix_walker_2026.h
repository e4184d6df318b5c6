// Internal: decideMix() for the 2026-09 rule set (llama.cpp 0ad4a86's llama_model_quantize_impl).
#pragma once

#include "mix/mix_rules.h"

namespace qb {

// label: already resolved (aliases followed); imatrix: nullptr when absent or empty.
MixDecision decideMix2026(const GgufModel &model, const QuantLabel &label, const QuantizeOptions &options,
                          const ImportanceMatrix *imatrix);

} // namespace qb
