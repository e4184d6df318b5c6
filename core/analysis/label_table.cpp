#include "analysis/label_table.h"

#include "error.h"

#include <algorithm>
#include <chrono>

namespace qb {

std::vector<const QuantLabel *> tableLabels() {
    std::vector<const QuantLabel *> labels;
    for (const QuantLabel &l : allQuantLabels())
        if (!l.aliasOf && !l.copyOnly) labels.push_back(&l);
    return labels;
}

std::vector<const QuantLabel *> tableLabels(RuleSet rules) {
    std::vector<const QuantLabel *> labels;
    for (const QuantLabel *l : quantLabels(rules))
        if (!l->aliasOf && !l->copyOnly) labels.push_back(l);
    return labels;
}

std::vector<LabelMix> decideLabelMixes(const GgufModel &model, const std::vector<const QuantLabel *> &labels,
                                       const QuantizeOptions &options, const ImportanceMatrix *imatrix) {
    std::vector<LabelMix> out;
    out.reserve(labels.size());
    for (const QuantLabel *label : labels) {
        LabelMix m;
        m.label = label;
        try {
            m.mix = decideMix(model, *label, options, imatrix).mixEntries();
            m.size = mixSize(model, m.mix);
        } catch (const Error &e) {
            if (e.kind() == ErrorKind::Cancelled) throw;
            m.mix.clear();
            m.refusal = e.what();
        }
        out.push_back(std::move(m));
    }
    return out;
}

namespace {

// parseLabelList's loop: `find` looks an entry up (nullptr: unknown), `unknown` says why not.
template <typename Find>
std::vector<const QuantLabel *> parseLabels(std::string_view text, Find find, const std::string &unknown) {
    std::vector<const QuantLabel *> labels;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = std::min(text.find(',', start), text.size());
        const std::string_view item = text.substr(start, comma - start);
        const QuantLabel *label = find(item);
        if (!label) throw Error("--labels: unknown label '" + std::string(item) + "'" + unknown);
        if (label->copyOnly) throw Error("--labels: COPY quantizes nothing, so it has no error to analyse");
        label = &resolveAlias(*label);
        if (std::find(labels.begin(), labels.end(), label) == labels.end()) labels.push_back(label);
        start = comma + 1;
    }
    return labels;
}

} // namespace

std::vector<const QuantLabel *> parseLabelList(std::string_view text) {
    if (text == "all") return tableLabels();
    return parseLabels(text, [](std::string_view item) { return findQuantLabel(item); }, "");
}

std::vector<const QuantLabel *> parseLabelList(std::string_view text, RuleSet rules) {
    if (text == "all") return tableLabels(rules);
    return parseLabels(text, [rules](std::string_view item) { return findQuantLabel(item, rules); },
                       std::string(" in rule set ") + ruleSetName(rules) + " (see `quantbench-cli labels --rules " +
                           ruleSetName(rules) + "`)");
}

LabelTable buildLabelTable(ModelAnalyzer &analyzer, const std::vector<const QuantLabel *> &labels,
                           const QuantizeOptions &options, AnalysisMode mode, int threads,
                           const std::atomic<bool> *cancel, const std::function<void(double)> &progress) {
    const auto start = std::chrono::steady_clock::now();
    LabelTable table;

    // 1. What every label would do to every tensor (cheap: headers only).
    std::vector<std::pair<const QuantLabel *, std::vector<MixEntry>>> mixes;
    std::vector<MixEntry> allPairs;
    for (LabelMix &m : decideLabelMixes(analyzer.model(), labels, options, analyzer.importanceMatrix())) {
        if (!m.refusal.empty()) {
            table.skipped.push_back({m.label->name, std::move(m.refusal)});
            continue;
        }
        allPairs.insert(allPairs.end(), m.mix.begin(), m.mix.end());
        mixes.emplace_back(m.label, std::move(m.mix));
    }

    // 2. Every distinct pair once, all labels' pairs in one parallel pass.
    std::vector<MixEntry> distinct;
    for (const MixEntry &e : allPairs)
        if (analyzer.model().tensors().at(e.tensor).info->type != e.type) distinct.push_back(e);
    std::sort(distinct.begin(), distinct.end(), [](const MixEntry &a, const MixEntry &b) {
        return a.tensor != b.tensor ? a.tensor < b.tensor : a.type < b.type;
    });
    distinct.erase(std::unique(distinct.begin(), distinct.end(),
                               [](const MixEntry &a, const MixEntry &b) {
                                   return a.tensor == b.tensor && a.type == b.type;
                               }),
                   distinct.end());
    table.distinctPairs = distinct.size();
    table.pairsComputed = analyzer.analyzePairs(distinct, mode, threads, cancel, progress);

    // 3. Each label from the cache: no further analyses.
    for (auto &[label, entries] : mixes) {
        LabelTableRow row;
        row.label = label;
        row.summary = analyzer.summarize(label->name, entries, mode, threads, cancel);
        table.pairsComputed += row.summary.pairsComputed;  // 0 unless the cache was cleared meanwhile
        table.rows.push_back(std::move(row));
    }
    table.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return table;
}

} // namespace qb
