// Size against quality for many labels of one model: the table llama.cpp publishes for its
// reference model (size, quality loss), computed for the loaded model.
//
// Contract: each label's per-tensor types come from the mix rules (decideMix), exactly as
// quantbench-cli quantize would choose them. All labels' (tensor, type) pairs are gathered,
// de-duplicated and analysed once each, in parallel over pairs; every label is then summarised
// from the analyser's cache. So the whole table costs the distinct pairs, no more
// (LabelTable::pairsComputed == distinctPairs on a fresh analyser). Labels the rules refuse
// (e.g. very-low-bit labels without an importance matrix) are listed in `skipped` with the
// refusal's reason; COPY and aliases are not labels of their own here. Cancellation throws
// qb::Error of kind Cancelled; progress reports the fraction of distinct pairs done.
#pragma once

#include "analysis/mix_size.h"
#include "analysis/model_analyzer.h"
#include "mix/mix_rules.h"
#include "mix/quant_label.h"

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace qb {

struct LabelTableRow {
    const QuantLabel *label = nullptr;
    MixSummary summary;
};

struct LabelTableSkip {
    std::string label;
    std::string reason;
};

struct LabelTable {
    std::vector<LabelTableRow> rows;      // in the order requested
    std::vector<LabelTableSkip> skipped;
    size_t distinctPairs = 0;             // distinct (tensor, type) pairs that need an analysis
    size_t pairsComputed = 0;             // analyses actually run (the others came from the cache)
    double seconds = 0;
};

// Every label worth a table row: llama-quantize's labels without aliases and COPY.
std::vector<const QuantLabel *> tableLabels();
// The same among one rule set's labels, in its listing order (the GUI's label list).
std::vector<const QuantLabel *> tableLabels(RuleSet rules);

// What one label's rules make of a model before any analysis: its mix and size, or why the
// rules refuse it (qb::Error of decideMix; other exceptions propagate).
struct LabelMix {
    const QuantLabel *label = nullptr;
    std::string refusal;        // empty: the rules accept the label
    std::vector<MixEntry> mix;  // empty when refused
    MixSize size;
};

// Step one of buildLabelTable, in the order given: cheap (headers and importance names only).
std::vector<LabelMix> decideLabelMixes(const GgufModel &model, const std::vector<const QuantLabel *> &labels,
                                       const QuantizeOptions &options, const ImportanceMatrix *imatrix);

// "all", or a comma-separated list of label names or ftype ids; throws qb::Error (BadInput)
// naming an unknown entry. Aliases resolve to their label; duplicates are dropped.
std::vector<const QuantLabel *> parseLabelList(std::string_view text);
// The same among one rule set's labels ("all" is tableLabels(rules)); a label that rule set's
// llama-quantize does not have (Q2_0 with b4748) is refused naming the rule set.
std::vector<const QuantLabel *> parseLabelList(std::string_view text, RuleSet rules);

LabelTable buildLabelTable(ModelAnalyzer &analyzer, const std::vector<const QuantLabel *> &labels,
                           const QuantizeOptions &options, AnalysisMode mode, int threads,
                           const std::atomic<bool> *cancel = nullptr,
                           const std::function<void(double)> &progress = {});

} // namespace qb
