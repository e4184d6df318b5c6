// One (tensor, type) pair of a mix: what a mix decision hands to the error analysis
// (ModelAnalyzer::summarize). Lives in mix, which analysis builds on, never the reverse.
#pragma once

#include "ggml_types.h"

#include <cstddef>

namespace qb {

struct MixEntry {
    size_t tensor = 0;  // index into GgufModel::tensors()
    GgmlType type = GgmlType::F32;
};

} // namespace qb
