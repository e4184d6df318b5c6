// Turns a mix decision into the ExecutionPlan the pipeline runs: output metadata exactly as
// llama-quantize writes it and, per tensor, the importance vector llama.cpp would pass.
//
// Contract: metadata = the input's keys in order (split.* removed), then general.quantization_version
// (u32 2) and general.file_type (u32) moved to the end as gguf_set_val does, then the
// --override-kv entries and, with a non-empty importance matrix, quantize.imatrix.file/.dataset
// (str, cut to 127 bytes), .entries_count/.chunks_count (i32), in llama-quantize's order. Importance spans point into
// `imatrix`, which the plan shares (ExecutionPlan::importanceOwner). Entries whose size is not ne[0]*ne[2] are refused
// (except token_embd, which llama.cpp quantizes without them).
#pragma once

#include "gguf/gguf_value.h"
#include "mix/mix_rules.h"
#include "pipeline/quantize_pipeline.h"

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace qb {

struct PlanOptions {
    std::string imatrixFile;               // as the user named it: written to quantize.imatrix.file
    std::vector<GgufKeyValue> kvOverrides; // --override-kv, in order
};

// llama.cpp's kv overrides hold keys and strings in char[128]: at most 127 bytes.
constexpr size_t kMaxOverrideStringBytes = 127;

// --override-kv KEY=TYPE:VALUE with TYPE int, float, bool or str (llama.cpp's syntax).
GgufKeyValue parseKvOverride(std::string_view text);

ExecutionPlan buildExecutionPlan(const GgufModel &model, const MixDecision &mix,
                                 std::shared_ptr<const ImportanceMatrix> imatrix, const PlanOptions &options);

// --keep-split: one output per input split, named as llama-quantize names them
// (OUT without ".gguf", then "-00001-of-0000N.gguf", even for a single split). Each holds its
// split's tensors in mix order; with several splits each gets split.no (u16), split.count (u16)
// and split.tensors.count (i32, all tensors) appended to the metadata.
struct SplitOutput {
    std::filesystem::path path;
    ExecutionPlan plan;
};
std::vector<SplitOutput> buildSplitPlans(const GgufModel &model, const MixDecision &mix,
                                         std::shared_ptr<const ImportanceMatrix> imatrix, const PlanOptions &options,
                                         const std::filesystem::path &output);

} // namespace qb
