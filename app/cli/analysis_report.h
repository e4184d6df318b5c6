// Collects analyze results and prints them as text, CSV or one JSON document.
// JSON shape (documented in the README):
// { "file", "mode": "preview"|"exact", "imatrix": path|null,
//   "tensors": [ { "tensor", "type", "bytes", "bits_per_weight", "rows_analyzed", "elements_analyzed", "rows",
//                  "metrics": { "rmse", "max_abs_error", "relative_rmse", "snr_db", "cosine",
//                               "weighted_rmse", "weighted_relative" },
//                  "histograms": { "weights"|"error"|"relative_error":
//                                  { "lo", "hi", "counts": [...], "underflow", "overflow", "nan" } },
//                  "row_rmse": [...] } ],
//   "skipped": [ { "tensor", "type", "reason" } ],
//   "labels": [ { "label", "bytes", "size_gb", "parameters", "bits_per_weight", "relative_rmse",
//                 "weighted_relative" } ],
//   "skipped_labels": [ { "label", "reason" } ], "rule_set": "2026-09"|"b4748",
//   "label_work": { "distinct_pairs", "pairs_computed", "seconds" } }
// "elements_analyzed" is rows_analyzed times the row length, or less where a preview of wide rows
// analysed a segment of each sampled row.
// "tensors"/"skipped" are filled with --types, "labels" with --labels; the last two keys appear
// only with --labels.
#pragma once

#include "analysis/model_analyzer.h"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace qbcli {

class AnalysisReport {
public:
    AnalysisReport(const qb::GgufModel &model, std::string file, std::string imatrix, qb::AnalysisMode mode);

    void addTensor(const std::string &tensor, const qb::TensorAnalysis &analysis);
    void addSkipped(const std::string &tensor, qb::GgmlType type, const std::string &reason);
    void addLabel(const qb::MixSummary &summary);
    void addSkippedLabel(const std::string &label, const std::string &reason);
    void setLabelWork(size_t distinctPairs, size_t pairsComputed, double seconds);
    // The rule set whose mixes the label table shows (printed and in JSON with --labels).
    void setRuleSet(std::string name) { m_ruleSet = std::move(name); }

    void printText() const;
    void printCsv() const;
    void printJson() const;

private:
    struct TensorRow {
        std::string tensor;
        qb::TensorAnalysis analysis;
    };
    struct SkippedRow {
        std::string tensor;
        qb::GgmlType type;
        std::string reason;
    };

    const qb::GgufModel &m_model;
    std::string m_file;
    std::string m_imatrix;
    qb::AnalysisMode m_mode;
    std::vector<TensorRow> m_tensors;
    std::vector<SkippedRow> m_skipped;
    std::vector<qb::MixSummary> m_labels;
    std::vector<std::pair<std::string, std::string>> m_skippedLabels;  // label, reason
    bool m_hasLabelWork = false;
    size_t m_distinctPairs = 0;
    size_t m_pairsComputed = 0;
    double m_labelSeconds = 0;
    std::string m_ruleSet;
};

} // namespace qbcli
