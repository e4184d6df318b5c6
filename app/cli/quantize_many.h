// quantbench-cli quantize IN --labels L1,L2,... [--preset P ...] [--out 'DIR/{model}-{label}.gguf'] [--fail-fast]
// Several outputs from one read of the input (core/pipeline/multi_quantize.h). The quantize
// command parses the options and hands them here; presetFor applies the command line's shared
// options (--imatrix, --tensor-type, ...) to each output's label or preset file exactly as a
// single-label run would, so each output equals its single run.
#pragma once

#include "mix/preset.h"

#include <functional>
#include <string>
#include <vector>

namespace qbcli {

struct ManyQuantizeRequest {
    std::string input;
    std::string labels;                // comma-separated labels or ids, or "all"
    std::vector<std::string> presets;  // preset files, one output each
    std::string outPattern;            // {model} and {label} are replaced; default beside the input
    bool failFast = false;
    int threads = 0;
    std::vector<std::string> overrideKv;
    // The effective preset of one output: a label (presetFile empty) or a preset file (label empty).
    std::function<qb::MixPreset(const std::string &label, const std::string &presetFile)> presetFor;
};

// Exit code: 0 when every output was written; 1 when any failed at run time; 2 when any was
// refused (and none failed); 128 + N after signal N, with only completed outputs left.
int runQuantizeMany(const ManyQuantizeRequest &request);

// What {model} stands for: the input's file name without ".gguf" and without a split suffix.
std::string modelNameForPattern(const std::string &input);

} // namespace qbcli
