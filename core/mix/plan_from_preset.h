// The one way a saved or command-line mix becomes something to run: (preset, importance matrix,
// run options) -> the mix decision and the ExecutionPlan. The CLI's quantize (one output, --keep-split
// and --labels/--preset outputs), the GUI's quantize dialog and multi-output job, and the evaluator's
// temporary candidates all call it, so each writes what llama-quantize writes for that preset.
//
// Contract: `loaded` is the importance matrix the preset names (preset.imatrixFile), as loaded,
// or null; the preset's --include/--exclude-weights narrow it first (a copy, only when it has
// such patterns, so outputs without them share one matrix). The rule set, label and per-tensor
// rules are the preset's. Throws qb::Error (BadInput) when the preset's tensor_types name a tensor
// the model lacks (a preset made for another model) and whatever decideMix/buildExecutionPlan refuse.
// Cheap: headers and importance names only, no tensor data read.
#pragma once

#include "gguf/gguf_model.h"
#include "gguf/gguf_value.h"
#include "mix/mix_rules.h"
#include "mix/plan_builder.h"
#include "mix/preset.h"
#include "pipeline/quantize_pipeline.h"

#include <filesystem>
#include <memory>
#include <vector>

namespace qb {

class ImportanceMatrix;

// What a run adds to the preset: options that are not part of a saved mix.
struct PresetRunOptions {
    std::vector<GgufKeyValue> kvOverrides;  // --override-kv, in order
    bool dryRun = false;                    // --dry-run: missing importance data warns instead of refusing
    std::filesystem::path keepSplitOutput;  // non-empty: --keep-split, one plan per input split named after it
};

struct PresetPlan {
    MixDecision mix;
    // One output (keepSplitOutput empty): `plan`. With --keep-split: `splits`, and `plan` stays empty.
    ExecutionPlan plan;
    std::vector<SplitOutput> splits;
    std::shared_ptr<const ImportanceMatrix> importance;  // the narrowed matrix the mix used, or null
};

// The matrix a preset's mix uses: `loaded` narrowed by its include/exclude patterns (or `loaded`
// itself when it has none).
std::shared_ptr<const ImportanceMatrix> presetImportance(const MixPreset &preset,
                                                         std::shared_ptr<const ImportanceMatrix> loaded);

PresetPlan planFromPreset(const GgufModel &model, const MixPreset &preset, std::shared_ptr<const ImportanceMatrix> loaded,
                          const PresetRunOptions &options = {});

} // namespace qb
