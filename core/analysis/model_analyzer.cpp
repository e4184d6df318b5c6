#include "analysis/model_analyzer.h"

#include "error.h"

#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>

namespace qb {

ModelAnalyzer::ModelAnalyzer(const GgufModel &model, std::shared_ptr<const ImportanceMatrix> imatrix)
    : m_model(model), m_imatrix(std::move(imatrix)) {
    if (m_imatrix) {
        // One fingerprint for the whole matrix: different files never share cache entries.
        uint64_t h = 0;
        for (const auto &[name, values] : m_imatrix->entries()) h = h * 31 + importanceFingerprint(values);
        m_fingerprint = h ? h : 1;
    }
}

std::span<const float> ModelAnalyzer::importanceFor(size_t tensor) const {
    if (!m_imatrix) return {};
    const std::vector<float> *v = m_imatrix->find(m_model.tensors().at(tensor).info->name);
    return v ? std::span<const float>(*v) : std::span<const float>();
}

AnalysisKey ModelAnalyzer::keyFor(size_t tensor, GgmlType type, AnalysisMode mode, int bins) const {
    return {m_model.tensors().at(tensor).info->name, type, m_fingerprint, mode, bins};
}

std::shared_ptr<const TensorAnalysis> ModelAnalyzer::cached(size_t tensor, GgmlType type, int bins) const {
    return m_cache.findBest(keyFor(tensor, type, AnalysisMode::Preview, bins));
}

std::shared_ptr<const TensorAnalysis> ModelAnalyzer::analyze(size_t tensor, GgmlType type, AnalysisMode mode, int bins,
                                                             int threads, const std::atomic<bool> *cancel) {
    const AnalysisKey key = keyFor(tensor, type, mode, bins);
    if (auto hit = mode == AnalysisMode::Preview ? m_cache.findBest(key) : m_cache.find(key)) return hit;

    const GgufModel::Tensor &t = m_model.tensors().at(tensor);
    TensorAnalysisRequest req;
    req.sourceType = t.info->type;
    req.sourceData = m_model.tensorData(t);
    req.rows = t.info->rows();
    req.rowLength = t.info->rowLength();
    req.rowsPerMatrix = t.info->ne[1];
    req.candidate = type;
    req.importance = importanceFor(tensor);
    req.mode = mode;
    req.weightBins.bins = req.errorBins.bins = req.relativeErrorBins.bins = bins;
    req.threads = threads;
    req.cancel = cancel;
    auto result = std::make_shared<const TensorAnalysis>(analyzeTensor(req));
    m_cache.insert(key, result);
    return result;
}

MixSummary ModelAnalyzer::summarize(const std::string &name, const std::vector<MixEntry> &mix, AnalysisMode mode,
                                    int threads, const std::atomic<bool> *cancel,
                                    const std::function<void(double)> &progress) {
    MixSummary s;
    s.name = name;
    s.weighted = hasImportance();
    std::vector<std::shared_ptr<const TensorAnalysis>> results(mix.size());
    const size_t cachedBefore = m_cache.size();
    std::atomic<size_t> done{0};
    std::exception_ptr error;
    std::mutex errorMutex;

    // Parallel over tensors, one thread per analysis: many small jobs scale better than
    // splitting each tensor's rows.
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads > 0 ? threads : 1)
    for (size_t i = 0; i < mix.size(); ++i) {
        const MixEntry &e = mix[i];
        const GgufTensorInfo &info = *m_model.tensors().at(e.tensor).info;
        if (info.type == e.type) continue;  // kept as stored: no error, no work
        try {
            results[i] = analyze(e.tensor, e.type, mode, 64, 1, cancel);
        } catch (...) {
            std::lock_guard lock(errorMutex);
            if (!error) error = std::current_exception();
        }
        const size_t d = ++done;
        if (progress) {
            // Progress from worker threads is serialised: callers need not be thread-safe.
            std::lock_guard lock(errorMutex);
            progress(double(d) / double(mix.size()));
        }
    }
    if (error) std::rethrow_exception(error);

    double sumRel = 0, sumWeightedRel = 0;
    for (size_t i = 0; i < mix.size(); ++i) {
        const GgufTensorInfo &info = *m_model.tensors().at(mix[i].tensor).info;
        const uint64_t params = uint64_t(info.elements());
        s.parameters += params;
        s.bytes += uint64_t(info.rows()) * uint64_t(rowSizeBytes(mix[i].type, info.rowLength()));
        if (const auto &r = results[i]) {
            sumRel += double(params) * r->metrics.relativeRmse * r->metrics.relativeRmse;
            const double w = r->metrics.weighted ? r->metrics.weightedRelative : r->metrics.relativeRmse;
            sumWeightedRel += double(params) * w * w;
        }
    }
    if (s.parameters) {
        s.bitsPerWeight = 8.0 * double(s.bytes) / double(s.parameters);
        s.relativeRmse = std::sqrt(sumRel / double(s.parameters));
        s.weightedRelative = std::sqrt(sumWeightedRel / double(s.parameters));
    }
    s.pairsComputed = m_cache.size() - cachedBefore;
    return s;
}

} // namespace qb
