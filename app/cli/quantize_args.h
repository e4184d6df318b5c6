// The quantize command's parsed command line, and the steps shared by its one-output run
// (quantize_single.cpp) and its several-output run (quantize_many.h): the effective preset.
#pragma once

#include "mix/preset.h"

#include <string>
#include <utility>
#include <vector>

namespace qbcli {

struct QuantizeArgs {
    std::string input, output, label;
    int positionalThreads = 0;
    int threads = 0;
    std::string imatrix;
    std::vector<std::string> includeWeights, excludeWeights;
    std::string outputTensorType, tokenEmbeddingType;
    std::vector<std::string> tensorTypes, tensorTypeFiles;
    // Both, in command-line order (first match wins, so order matters): {is a file, text}.
    std::vector<std::pair<bool, std::string>> tensorTypeSources;
    bool pure = false, leaveOutputTensor = false, allowRequantize = false, keepSplit = false;
    std::vector<std::string> overrideKv;
    bool dryRun = false, printCommand = false;
    std::string preset, savePreset;
    // Several outputs in one pass (quantize_many.h): --labels, several --preset, --out.
    std::string labels, outPattern;
    std::vector<std::string> presets;
    bool failFast = false;
    std::string rules;              // --rules; empty: the preset's, else kDefaultRuleSet
    std::string pruneLayers;        // --prune-layers L0,L1,...
    std::string targetSize, targetBpw;  // size-targeted mix (optimize_output.h)
};

// --prune-layers L0,L1,...: non-negative layer numbers; sorted and deduplicated as llama-quantize does.
std::vector<int> parsePruneLayers(const std::string &text);

// The preset equivalent of the command line (a preset given with --preset is the starting point).
qb::MixPreset effectivePreset(const QuantizeArgs &a);

// --target-size/--target-bpw: the optimizer's mix, the command line's and preset's patterns as
// pins, the label (if any) as the base label. Options that would change the mix afterwards are refused.
qb::MixPreset targetedPreset(const QuantizeArgs &a, const qb::MixPreset &given, int threads);

// quantize IN OUT [LABEL]: one output (or one per split with --keep-split). Exit code as commands.h.
int runQuantize(const QuantizeArgs &a);

} // namespace qbcli
