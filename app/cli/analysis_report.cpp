#include "analysis_report.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace qbcli {
namespace {

// JSON has no infinity: an exact reconstruction's SNR is reported as null.
nlohmann::json finite(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json toJson(const qb::Histogram &h) {
    return {{"lo", h.lo}, {"hi", h.hi}, {"counts", h.counts},
            {"underflow", h.underflow}, {"overflow", h.overflow}, {"nan", h.nan}};
}

// An optional CSV field at the precision of the other error columns (%.9g); empty when absent.
std::string csvOptional(bool present, double v) {
    if (!present) return {};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

double bitsPerWeight(const qb::TensorAnalysis &a) {
    const double elements = double(a.totalRows) * double(a.rowLength);
    return elements > 0 ? 8.0 * double(a.quantizedBytes) / elements : 0.0;
}

} // namespace

AnalysisReport::AnalysisReport(const qb::GgufModel &model, std::string file, std::string imatrix, qb::AnalysisMode mode)
    : m_model(model), m_file(std::move(file)), m_imatrix(std::move(imatrix)), m_mode(mode) {}

void AnalysisReport::addTensor(const std::string &tensor, const qb::TensorAnalysis &analysis) {
    m_tensors.push_back({tensor, analysis});
}

void AnalysisReport::addSkipped(const std::string &tensor, qb::GgmlType type, const std::string &reason) {
    m_skipped.push_back({tensor, type, reason});
}

void AnalysisReport::addLabel(const qb::MixSummary &summary) { m_labels.push_back(summary); }

void AnalysisReport::addSkippedLabel(const std::string &label, const std::string &reason) {
    m_skippedLabels.emplace_back(label, reason);
}

void AnalysisReport::setLabelWork(size_t distinctPairs, size_t pairsComputed, double seconds) {
    m_hasLabelWork = true;
    m_distinctPairs = distinctPairs;
    m_pairsComputed = pairsComputed;
    m_labelSeconds = seconds;
}

void AnalysisReport::printText() const {
    std::printf("%s: %s analysis%s\n\n", m_file.c_str(), m_mode == qb::AnalysisMode::Exact ? "exact" : "preview",
                m_imatrix.empty() ? "" : (", importance matrix " + m_imatrix).c_str());
    if (!m_tensors.empty() || !m_skipped.empty() || !m_hasLabelWork)
        std::printf("%-32s %-8s %12s %7s %11s %9s %8s %9s %10s%s\n", "tensor", "type", "bytes", "bpw", "rmse", "rel",
                    "snr dB", "cosine", "max abs", m_imatrix.empty() ? "" : "  w.rel");
    for (const TensorRow &r : m_tensors) {
        const qb::ErrorMetrics &m = r.analysis.metrics;
        std::printf("%-32s %-8s %12llu %7.3f %11.4e %8.4f%% %8.2f %9.6f %10.4e", r.tensor.c_str(),
                    qb::typeName(r.analysis.candidate), (unsigned long long)r.analysis.quantizedBytes,
                    bitsPerWeight(r.analysis), m.rmse, 100.0 * m.relativeRmse, m.snrDb, m.cosine, m.maxAbsError);
        if (m.weighted) std::printf("  %7.4f%%", 100.0 * m.weightedRelative);
        std::printf("\n");
    }
    for (const SkippedRow &s : m_skipped)
        std::printf("%-32s %-8s skipped: %s\n", s.tensor.c_str(), qb::typeName(s.type), s.reason.c_str());
    if (!m_labels.empty()) {
        std::printf("%s%-10s %15s %9s %8s %10s%s\n", m_hasLabelWork ? "" : "\n", "label", "bytes", "GB", "bpw", "rel rmse",
                    m_imatrix.empty() ? "" : "   w.rel");
        for (const qb::MixSummary &l : m_labels) {
            std::printf("%-10s %15llu %9.3f %8.3f %9.4f%%", l.name.c_str(), (unsigned long long)l.bytes,
                        double(l.bytes) / 1e9, l.bitsPerWeight, 100.0 * l.relativeRmse);
            if (l.weighted) std::printf(" %8.4f%%", 100.0 * l.weightedRelative);
            std::printf("\n");
        }
    }
    for (const auto &[label, reason] : m_skippedLabels) std::printf("%-10s skipped: %s\n", label.c_str(), reason.c_str());
    if (m_hasLabelWork)
        std::printf("\nrule set %s; %zu distinct (tensor, type) pairs, %zu analysed, %.2f s\n", m_ruleSet.c_str(), m_distinctPairs, m_pairsComputed,
                    m_labelSeconds);
}

void AnalysisReport::printCsv() const {
    if (!m_tensors.empty() || m_labels.empty())
        std::printf("tensor,type,bytes,bits_per_weight,rows_analyzed,rmse,max_abs_error,relative_rmse,snr_db,cosine,"
                "weighted_rmse,weighted_relative\n");
    for (const TensorRow &r : m_tensors) {
        const qb::ErrorMetrics &m = r.analysis.metrics;
        std::printf("%s,%s,%llu,%.6f,%zu,%.9g,%.9g,%.9g,%.9g,%.12g,%s,%s\n", r.tensor.c_str(),
                    qb::typeName(r.analysis.candidate), (unsigned long long)r.analysis.quantizedBytes,
                    bitsPerWeight(r.analysis), r.analysis.rowIndices.size(), m.rmse, m.maxAbsError, m.relativeRmse,
                    m.snrDb, m.cosine, csvOptional(m.weighted, m.weightedRmse).c_str(),
                    csvOptional(m.weighted, m.weightedRelative).c_str());
    }
    if (!m_labels.empty()) {
        std::printf("%slabel,bytes,size_gb,bits_per_weight,relative_rmse,weighted_relative\n",
                    m_tensors.empty() ? "" : "\n");
        for (const qb::MixSummary &l : m_labels)
            std::printf("%s,%llu,%.6f,%.6f,%.9g,%s\n", l.name.c_str(), (unsigned long long)l.bytes,
                        double(l.bytes) / 1e9, l.bitsPerWeight, l.relativeRmse,
                        csvOptional(l.weighted, l.weightedRelative).c_str());
    }
}

void AnalysisReport::printJson() const {
    nlohmann::json doc;
    doc["file"] = m_file;
    doc["mode"] = m_mode == qb::AnalysisMode::Exact ? "exact" : "preview";
    doc["imatrix"] = m_imatrix.empty() ? nlohmann::json(nullptr) : nlohmann::json(m_imatrix);
    nlohmann::json tensors = nlohmann::json::array();
    for (const TensorRow &r : m_tensors) {
        const qb::ErrorMetrics &m = r.analysis.metrics;
        nlohmann::json metrics = {{"rmse", m.rmse},           {"max_abs_error", m.maxAbsError},
                                  {"relative_rmse", m.relativeRmse}, {"snr_db", finite(m.snrDb)},
                                  {"cosine", m.cosine}};
        metrics["weighted_rmse"] = m.weighted ? nlohmann::json(m.weightedRmse) : nlohmann::json(nullptr);
        metrics["weighted_relative"] = m.weighted ? nlohmann::json(m.weightedRelative) : nlohmann::json(nullptr);
        tensors.push_back({{"tensor", r.tensor},
                           {"type", qb::typeName(r.analysis.candidate)},
                           {"bytes", r.analysis.quantizedBytes},
                           {"bits_per_weight", bitsPerWeight(r.analysis)},
                           {"rows", r.analysis.totalRows},
                           {"rows_analyzed", r.analysis.rowIndices.size()},
                           {"elements_analyzed", r.analysis.metrics.elements},
                           {"metrics", metrics},
                           {"histograms",
                            {{"weights", toJson(r.analysis.weights)},
                             {"error", toJson(r.analysis.error)},
                             {"relative_error", toJson(r.analysis.relativeError)}}},
                           {"row_rmse", r.analysis.rowRmse}});
    }
    doc["tensors"] = std::move(tensors);
    nlohmann::json skipped = nlohmann::json::array();
    for (const SkippedRow &s : m_skipped)
        skipped.push_back({{"tensor", s.tensor}, {"type", qb::typeName(s.type)}, {"reason", s.reason}});
    doc["skipped"] = std::move(skipped);
    nlohmann::json labels = nlohmann::json::array();
    for (const qb::MixSummary &l : m_labels)
        labels.push_back({{"label", l.name},
                          {"bytes", l.bytes},
                          {"size_gb", double(l.bytes) / 1e9},
                          {"parameters", l.parameters},
                          {"bits_per_weight", l.bitsPerWeight},
                          {"relative_rmse", l.relativeRmse},
                          {"weighted_relative", l.weighted ? nlohmann::json(l.weightedRelative) : nlohmann::json(nullptr)}});
    doc["labels"] = std::move(labels);
    if (m_hasLabelWork) {
        nlohmann::json skippedLabels = nlohmann::json::array();
        for (const auto &[label, reason] : m_skippedLabels) skippedLabels.push_back({{"label", label}, {"reason", reason}});
        doc["skipped_labels"] = std::move(skippedLabels);
        doc["rule_set"] = m_ruleSet;
        doc["label_work"] = {
            {"distinct_pairs", m_distinctPairs}, {"pairs_computed", m_pairsComputed}, {"seconds", m_labelSeconds}};
    }
    std::printf("%s\n", doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

} // namespace qbcli
