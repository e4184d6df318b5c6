// The quantize command's effective preset: a --preset file (if any) with the command line's
// options applied in llama-quantize's order, or the size optimizer's mix for --target-size/--target-bpw.
#include "quantize_args.h"

#include "error.h"
#include "mix/option_values.h"
#include "mix/quant_label.h"
#include "optimize_output.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include <omp.h>

namespace qbcli {
namespace {

qb::RuleSet parseRules(const std::string &name) {
    const auto r = qb::ruleSetFromName(name);
    if (!r) throw qb::Error("--rules: unknown rule set '" + name + "' (2026-09 or b4748)");
    return *r;
}

} // namespace

std::vector<int> parsePruneLayers(const std::string &text) {
    std::vector<int> out;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = std::min(text.find(',', start), text.size());
        const std::string item = text.substr(start, comma - start);
        int id = -1;
        const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
        if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || id < 0)
            throw qb::Error("--prune-layers: invalid layer id '" + item + "' (expected L0,L1,... non-negative numbers)");
        out.push_back(id);
        start = comma + 1;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

qb::MixPreset effectivePreset(const QuantizeArgs &a) {
    qb::MixPreset p;
    if (!a.preset.empty())
        p = qb::MixPreset::load(a.preset);
    else if (a.label.empty() && a.targetSize.empty() && a.targetBpw.empty())
        throw qb::Error("quantize: give a LABEL (see `quantbench-cli labels`), --preset FILE or --target-size/--target-bpw");
    if (!a.rules.empty()) p.ruleSet = parseRules(a.rules);
    if (!a.label.empty()) {
        if (!qb::findQuantLabel(a.label, p.ruleSet))
            throw qb::Error("unknown label '" + a.label + "' for rule set " + qb::ruleSetName(p.ruleSet) +
                            " (see `quantbench-cli labels --rules " + qb::ruleSetName(p.ruleSet) + "`)");
        p.baseLabel = a.label;
    } else if (!qb::findQuantLabel(p.baseLabel, p.ruleSet)) {
        throw qb::Error("the preset's label " + p.baseLabel + " does not exist in rule set " + qb::ruleSetName(p.ruleSet));
    }
    // Command-line patterns come first, so they win over the preset's rules; among them,
    // --tensor-type and --tensor-type-file entries in command-line order, as llama-quantize keeps them.
    std::vector<qb::TensorTypeOverride> rules;
    for (const auto &[isFile, text] : a.tensorTypeSources)
        if (isFile)
            for (auto &t : qb::readTensorTypeFile(text))
                rules.push_back(std::move(t));
        else
            rules.push_back(qb::parseTensorTypeOption(text, "--tensor-type"));
    rules.insert(rules.end(), p.rules.begin(), p.rules.end());
    p.rules = std::move(rules);
    if (!a.outputTensorType.empty())
        p.outputTensorType = qb::parseTypeOption(a.outputTensorType, "--output-tensor-type");
    if (!a.tokenEmbeddingType.empty())
        p.tokenEmbeddingType = qb::parseTypeOption(a.tokenEmbeddingType, "--token-embedding-type");
    p.pure = p.pure || a.pure;
    p.leaveOutputTensor = p.leaveOutputTensor || a.leaveOutputTensor;
    p.allowRequantize = p.allowRequantize || a.allowRequantize;
    if (!a.imatrix.empty()) p.imatrixFile = a.imatrix;
    p.includeWeights.insert(p.includeWeights.end(), a.includeWeights.begin(), a.includeWeights.end());
    p.excludeWeights.insert(p.excludeWeights.end(), a.excludeWeights.begin(), a.excludeWeights.end());
    if (!p.includeWeights.empty() && !p.excludeWeights.empty())
        throw qb::Error("--include-weights and --exclude-weights cannot be used together (as in llama-quantize)");
    // Part of the mix, so --save-preset records it and --print-command emits it.
    if (!a.pruneLayers.empty()) p.pruneLayers = parsePruneLayers(a.pruneLayers);
    return p;
}

qb::MixPreset targetedPreset(const QuantizeArgs &a, const qb::MixPreset &given, int threads) {
    if (given.pure || given.outputTensorType || given.tokenEmbeddingType || !given.includeWeights.empty() ||
        !given.excludeWeights.empty() || a.keepSplit || given.leaveOutputTensor || given.allowRequantize ||
        !given.tensorTypes.empty())
        throw qb::Error("--target-size/--target-bpw choose every tensor's type: they cannot be combined with --pure, "
                        "--output-tensor-type, --token-embedding-type, --include/--exclude-weights, "
                        "--leave-output-tensor, --allow-requantize, --keep-split or a preset's tensor_types "
                        "(pin tensors with --tensor-type instead)");
    OptimizeSetup setup;
    setup.input = a.input;
    setup.imatrix = given.imatrixFile;
    if (!a.label.empty() || !a.preset.empty()) setup.baseLabel = given.baseLabel;
    setup.rules = given.ruleSet;
    setup.pins = given.rules;
    setup.threads = threads > 0 ? threads : omp_get_max_threads();
    const qb::SizeTarget target =
        a.targetSize.empty() ? qb::parseBitsPerWeight(a.targetBpw) : qb::parseSizeTarget(a.targetSize);
    OptimizeSession session(setup);
    const qb::OptimizedMix mix = qb::solveForTarget(session.curves(), target);
    std::printf("optimizer: %s within %s: %llu bytes, %.4f bits per weight, predicted relative error %.6g\n",
                mix.baseLabel->name, target.describe().c_str(), (unsigned long long)mix.fileBytes, mix.bitsPerWeight,
                mix.relativeError);
    qb::MixPreset p = mix.toPreset(given.imatrixFile);
    p.rules = given.rules;  // the pins, restated (the optimizer's exact names come first and agree with them)
    return p;
}

} // namespace qbcli
