// quantbench-cli analyze IN [--types LIST | --labels LIST [--rules 2026-09|b4748]] [--tensor REGEX] [--imatrix FILE]
//                           [--exact] [--bins N] [--weights-range LO:HI] [--error-range LO:HI]
//                           [--relative-error-range LO:HI] [--threads N] [--json | --csv]
// Per tensor x type error metrics (histograms in JSON), and per label the size-against-quality table.
#include "analysis/label_table.h"
#include "analysis/model_analyzer.h"
#include "commands.h"
#include "analysis_report.h"
#include "error.h"
#include "imatrix/importance_fit.h"
#include "kernels/kernels.h"
#include "rule_set.h"
#include "mix/tensor_pattern.h"

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace qbcli {
namespace {

struct AnalyzeOptions {
    std::string input;
    std::vector<std::string> types;
    std::string labels;
    std::string rules = qb::ruleSetName(qb::kDefaultRuleSet);  // whose mixes --labels shows
    std::string tensorPattern;
    std::string imatrix;
    bool exact = false;
    int bins = 64;
    std::string weightsRange, errorRange, relativeErrorRange;  // "LO:HI", empty: automatic
    int threads = 0;
    bool json = false;
    bool csv = false;
};

// Threads for the label table when --threads is not given: what OpenMP would use.
int ompThreads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n > 0 ? int(n) : 1;
}

// "LO:HI" (e.g. -0.02:0.02) into a histogram range; empty means automatic.
std::optional<qb::HistogramRange> parseRange(const std::string &text, const std::string &option) {
    if (text.empty()) return std::nullopt;
    const auto number = [&](const std::string &s, double &out) {
        char *end = nullptr;
        out = std::strtod(s.c_str(), &end);
        return !s.empty() && end == s.c_str() + s.size() && std::isfinite(out);
    };
    // The separator is the first colon after the first character, so LO may carry a sign.
    const size_t colon = text.find(':', 1);
    qb::HistogramRange r;
    if (colon == std::string::npos || !number(text.substr(0, colon), r.lo) || !number(text.substr(colon + 1), r.hi) ||
        !(r.lo < r.hi))
        throw qb::Error(option + ": expected LO:HI with finite numbers LO < HI, got '" + text + "'");
    return r;
}

std::vector<qb::GgmlType> parseTypes(const std::vector<std::string> &names) {
    std::vector<qb::GgmlType> types;
    for (const std::string &n : names) {
        const auto t = qb::typeFromName(n);
        if (!t) throw qb::Error("--types: unknown type '" + n + "'");
        types.push_back(*t);
    }
    return types;
}

int runAnalyze(const AnalyzeOptions &opts) {
    const std::shared_ptr<const qb::GgufModel> model = qb::GgufModel::open(opts.input);
    std::shared_ptr<const qb::ImportanceMatrix> imatrix;
    if (!opts.imatrix.empty())
        imatrix = std::make_shared<const qb::ImportanceMatrix>(qb::ImportanceMatrix::load(opts.imatrix));
    if (imatrix) qb::checkImportanceFits(*model, *imatrix, "--imatrix " + opts.imatrix);
    qb::ModelAnalyzer analyzer(model, imatrix);

    const qb::TensorPattern pattern(opts.tensorPattern.empty() ? std::string(".") : opts.tensorPattern, "--tensor");
    const qb::AnalysisMode mode = opts.exact ? qb::AnalysisMode::Exact : qb::AnalysisMode::Preview;
    const int threads = opts.threads > 0 ? opts.threads : 0;
    AnalysisReport report(*model, opts.input, imatrix ? opts.imatrix : std::string(), mode);

    if (!opts.labels.empty()) {
        // The size-against-quality table: labels' mixes as quantize would choose them (--tensor
        // is refused with --labels: a label's size and error are the whole model's).
        const auto rules = qb::ruleSetFromName(opts.rules);
        if (!rules) throw qb::Error("--rules: unknown rule set '" + opts.rules + "' (2026-09 or b4748)");
        const auto labels = qb::parseLabelList(opts.labels, *rules);
        qb::QuantizeOptions options;
        options.rules = *rules;
        const qb::LabelTable table =
            qb::buildLabelTable(analyzer, labels, options, mode, threads > 0 ? threads : ompThreads());
        report.setRuleSet(qb::ruleSetName(*rules));
        for (const qb::LabelTableRow &row : table.rows) report.addLabel(row.summary);
        for (const qb::LabelTableSkip &skip : table.skipped) report.addSkippedLabel(skip.label, skip.reason);
        report.setLabelWork(table.distinctPairs, table.pairsComputed, table.seconds);
        if (opts.json) report.printJson();
        else if (opts.csv) report.printCsv();
        else report.printText();
        return 0;
    }

    qb::HistogramRanges ranges;
    ranges.weights = parseRange(opts.weightsRange, "--weights-range");
    ranges.error = parseRange(opts.errorRange, "--error-range");
    ranges.relativeError = parseRange(opts.relativeErrorRange, "--relative-error-range");
    const std::vector<qb::GgmlType> types =
        parseTypes(opts.types.empty()
                       ? std::vector<std::string>{"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_0"}
                       : opts.types);
    size_t matched = 0;
    for (size_t i = 0; i < model->tensors().size(); ++i) {
        const qb::GgufTensorInfo &info = *model->tensors()[i].info;
        if (info.nDims < 2 || !pattern.search(info.name)) continue;
        ++matched;
        for (qb::GgmlType type : types) {
            if (info.ne[0] % qb::typeTraits(type).blockSize != 0) {
                report.addSkipped(info.name, type, "row length is not a whole number of blocks");
                continue;
            }
            if (qb::needsImportance(type) && analyzer.importanceFor(i).empty()) {
                report.addSkipped(info.name, type, "needs an importance matrix entry for this tensor");
                continue;
            }
            report.addTensor(info.name, *analyzer.analyze(i, type, mode, opts.bins, ranges, threads));
        }
    }
    // An empty report would look like success; a pattern that selects nothing is a mistake.
    if (matched == 0)
        throw qb::Error("--tensor: no tensor of two or more dimensions matches '" + opts.tensorPattern + "'");

    if (opts.json) report.printJson();
    else if (opts.csv) report.printCsv();
    else report.printText();
    return 0;
}

} // namespace

void addAnalyzeCommand(CLI::App &app, CommandAction &action) {
    auto opts = std::make_shared<AnalyzeOptions>();
    CLI::App *cmd = app.add_subcommand("analyze", "Quantization error per tensor and type, and size against quality per label");
    cmd->add_option("IN", opts->input, "GGUF model")->required();
    auto *types = cmd->add_option("--types", opts->types, "Types to try (comma-separated ggml names)")->delimiter(',');
    auto *labels = cmd->add_option("--labels", opts->labels,
                    "Size against quality per label: comma-separated labels (Q4_K_M, ...) or 'all'")
        ->excludes(types);
    cmd->add_option("--rules", opts->rules, "with --labels: which llama.cpp's mixes, 2026-09 (0ad4a86, default) or b4748")
        ->needs(labels);
    // A label's size and error are the whole model's, so --tensor cannot narrow a label table.
    cmd->add_option("--tensor", opts->tensorPattern, "Only tensors whose name matches this regular expression")
        ->excludes(labels);
    cmd->add_option("--imatrix", opts->imatrix, "Importance matrix (.dat or GGUF)");
    cmd->add_flag("--exact", opts->exact, "Analyse every row instead of a preview sample");
    cmd->add_option("--bins", opts->bins, "Histogram bins")->check(CLI::Range(1, 4096));
    // Histograms exist per tensor only: with --labels these are refused like --tensor.
    cmd->add_option("--weights-range", opts->weightsRange, "Weights histogram range LO:HI (default: the data's)")
        ->excludes(labels);
    cmd->add_option("--error-range", opts->errorRange, "Error (q - w) histogram range LO:HI (default: the data's)")
        ->excludes(labels);
    cmd->add_option("--relative-error-range", opts->relativeErrorRange,
                    "Relative error histogram range LO:HI (default: the data's)")
        ->excludes(labels);
    cmd->add_option("--threads", opts->threads, "Threads (default: all cores)")->check(CLI::Range(0, 1024));
    auto *json = cmd->add_flag("--json", opts->json, "One JSON document (with histograms)");
    cmd->add_flag("--csv", opts->csv, "CSV, one row per tensor and type")->excludes(json);
    cmd->callback([opts, &action] { action = [opts] { return runAnalyze(*opts); }; });
}

} // namespace qbcli
