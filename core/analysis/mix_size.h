// The size of a mix before anything is quantized: tensor data bytes at each entry's type
// (qb::tensorBytesAt), the parameters they hold, and bits per weight. What the GUI's label
// estimates and its current-mix point show, and what ModelAnalyzer::summarize reports with the error.
#pragma once

#include "gguf/gguf_model.h"
#include "mix/mix_entry.h"

#include <cstdint>
#include <vector>

namespace qb {

struct MixSize {
    uint64_t bytes = 0;       // tensor data after quantization
    uint64_t parameters = 0;  // elements of the mix's tensors
    double bitsPerWeight = 0; // 8 · bytes / parameters (0 for an empty mix)
};

// Entries name tensors of `model` (GgufModel::tensors() indices); throws std::out_of_range otherwise.
MixSize mixSize(const GgufModel &model, const std::vector<MixEntry> &mix);

} // namespace qb
