// Turns a mix decision into the ExecutionPlan the pipeline runs: output metadata exactly as
// llama-quantize writes it and, per tensor, the importance vector llama.cpp would pass.
//
// Contract: metadata = the input's keys in order (split.* removed), then general.quantization_version
// (u32 2) and general.file_type (u32) moved to the end as gguf_set_val does, then the
// --override-kv entries and, with an importance matrix, quantize.imatrix.file/.dataset (str),
// .entries_count/.chunks_count (i32), in llama-quantize's order. Importance spans point into
// `imatrix`, which must outlive the plan. Entries whose size is not ne[0]*ne[2] are refused
// (except token_embd, which llama.cpp quantizes without them).
#pragma once

#include "gguf/gguf_value.h"
#include "mix/mix_rules.h"
#include "pipeline/quantize_pipeline.h"

#include <string>
#include <string_view>
#include <vector>

namespace qb {

struct PlanOptions {
    std::string imatrixFile;                 // as the user named it: written to quantize.imatrix.file
    std::vector<GgufKeyValue> kvOverrides;   // --override-kv, in order
};

// --override-kv KEY=TYPE:VALUE with TYPE int, float, bool or str (llama.cpp's syntax).
GgufKeyValue parseKvOverride(std::string_view text);

ExecutionPlan buildExecutionPlan(const GgufModel &model, const MixDecision &mix, const ImportanceMatrix *imatrix,
                                 const PlanOptions &options);

} // namespace qb
