#include "analysis/model_analyzer.h"

#include "error.h"
#include "gguf/tensor_bytes.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <string>
#include <utility>

namespace qb {
namespace {

// Refused before any work: a bad range would otherwise surface as std::invalid_argument from
// deep inside the histogram code, after the quantization has run.
void checkRanges(const HistogramRanges &ranges) {
    for (const auto &[name, range] : {std::pair{"weights", &ranges.weights}, std::pair{"error", &ranges.error},
                                      std::pair{"relative error", &ranges.relativeError}})
        if (*range && !(std::isfinite((*range)->lo) && std::isfinite((*range)->hi) && (*range)->lo < (*range)->hi))
            throw Error(std::string("analysis: the ") + name + " histogram range needs finite lo < hi");
}

} // namespace

ModelAnalyzer::ModelAnalyzer(std::shared_ptr<const GgufModel> model, std::shared_ptr<const ImportanceMatrix> imatrix,
                             std::shared_ptr<AnalysisCache> cache)
    : m_model(std::move(model)), m_imatrix(std::move(imatrix)),
      m_cache(cache ? std::move(cache) : std::make_shared<AnalysisCache>()),
      m_sources(std::make_shared<SourceValidation>(m_model->tensors().size())) {
    // Per tensor, not per matrix: tensors the matrix does not cover share their results with the
    // analysis without importance data, and loading the same matrix again finds everything.
    m_fingerprints.reserve(m_model->tensors().size());
    for (size_t i = 0; i < m_model->tensors().size(); ++i) m_fingerprints.push_back(importanceFingerprint(importanceFor(i)));
}

std::span<const float> ModelAnalyzer::importanceFor(size_t tensor) const {
    if (!m_imatrix) return {};
    const std::vector<float> *v = m_imatrix->find(m_model->tensors().at(tensor).info->name);
    return v ? std::span<const float>(*v) : std::span<const float>();
}

AnalysisKey ModelAnalyzer::keyFor(size_t tensor, GgmlType type, AnalysisMode mode, int bins,
                                  const HistogramRanges &ranges) const {
    // Without histograms, ranges change nothing: such results are shared by every range.
    return {m_model->tensors().at(tensor).info->name, type, m_fingerprints.at(tensor), mode, bins,
            bins > 0 ? ranges : HistogramRanges{}};
}

std::shared_ptr<const TensorAnalysis> ModelAnalyzer::cached(size_t tensor, GgmlType type, int bins,
                                                            const HistogramRanges &ranges) const {
    if (auto hit = m_cache->findBest(keyFor(tensor, type, AnalysisMode::Preview, bins, ranges))) return hit;
    return bins == 0 ? m_cache->findBest(keyFor(tensor, type, AnalysisMode::Preview, kDefaultBins)) : nullptr;
}

std::shared_ptr<const TensorAnalysis> ModelAnalyzer::lookup(size_t tensor, GgmlType type, AnalysisMode mode) const {
    // Summaries need no histograms, but a result that has them (the GUI's) serves as well.
    for (int bins : {0, kDefaultBins}) {
        const AnalysisKey key = keyFor(tensor, type, mode, bins);
        if (auto hit = mode == AnalysisMode::Preview ? m_cache->findBest(key) : m_cache->find(key)) return hit;
    }
    return nullptr;
}

std::shared_ptr<const TensorAnalysis> ModelAnalyzer::analyze(size_t tensor, GgmlType type, AnalysisMode mode, int bins,
                                                             const HistogramRanges &ranges,
                                                             int threads, const std::atomic<bool> *cancel) {
    if (bins < 0) throw Error("analysis: negative histogram bin count");
    checkRanges(ranges);
    const AnalysisKey key = keyFor(tensor, type, mode, bins, ranges);
    if (bins == 0) {
        if (auto hit = lookup(tensor, type, mode)) return hit;
    } else if (auto hit = mode == AnalysisMode::Preview ? m_cache->findBest(key) : m_cache->find(key)) {
        return hit;
    }

    const GgufModel::Tensor &t = m_model->tensors().at(tensor);
    m_model->ensureReadable(t);  // a file truncated since opening would raise SIGBUS in the read below
    m_sources->check(*m_model, tensor);
    TensorAnalysisRequest req;
    req.sourceType = t.info->type;
    req.sourceData = m_model->tensorData(t);
    req.rows = t.info->rows();
    req.rowLength = t.info->rowLength();
    req.rowsPerMatrix = t.info->ne[1];
    req.candidate = type;
    req.importance = importanceFor(tensor);
    req.mode = mode;
    req.histograms = bins > 0;
    req.weightBins.bins = req.errorBins.bins = req.relativeErrorBins.bins = std::max(bins, 1);
    const auto applyRange = [](HistogramSpec &spec, const std::optional<HistogramRange> &range) {
        if (range) {
            spec.lo = range->lo;
            spec.hi = range->hi;
        }
    };
    applyRange(req.weightBins, ranges.weights);
    applyRange(req.errorBins, ranges.error);
    applyRange(req.relativeErrorBins, ranges.relativeError);
    req.threads = threads;
    req.cancel = cancel;
    auto result = std::make_shared<const TensorAnalysis>(analyzeTensor(req));
    // Resident memory stays bounded by the tensors being analysed, whatever the model's size.
    m_model->releaseTensorData(t);
    m_cache->insert(key, result);
    return result;
}

size_t ModelAnalyzer::analyzePairs(const std::vector<MixEntry> &pairs, AnalysisMode mode, int threads,
                                   const std::atomic<bool> *cancel, const std::function<void(double)> &progress) {
    // Distinct pairs still missing from the cache: two threads must never compute the same one.
    std::vector<MixEntry> todo;
    for (const MixEntry &e : pairs)
        if (m_model->tensors().at(e.tensor).info->type != e.type && !lookup(e.tensor, e.type, mode)) todo.push_back(e);
    auto byPair = [](const MixEntry &a, const MixEntry &b) {
        return a.tensor != b.tensor ? a.tensor < b.tensor : a.type < b.type;
    };
    std::sort(todo.begin(), todo.end(), byPair);
    todo.erase(std::unique(todo.begin(), todo.end(),
                           [](const MixEntry &a, const MixEntry &b) { return a.tensor == b.tensor && a.type == b.type; }),
               todo.end());
    // Largest analyses first, so no long one is left alone at the end of the parallel loop.
    auto workOf = [&](const MixEntry &e) {
        const GgufTensorInfo &info = *m_model->tensors()[e.tensor].info;
        if (mode == AnalysisMode::Exact) return info.rows() * info.rowLength();
        const PreviewSample p = previewSample(e.type, info.type, info.rows(), info.rowLength(), 0,
                                              !importanceFor(e.tensor).empty());
        return p.rows * p.length;
    };
    std::stable_sort(todo.begin(), todo.end(), [&](const MixEntry &a, const MixEntry &b) { return workOf(a) > workOf(b); });

    size_t done = 0;  // guarded by mutex
    std::exception_ptr error;
    std::mutex mutex;
    const int64_t count = int64_t(todo.size());
    // One thread per analysis: many independent jobs scale better than splitting each tensor's rows.
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads > 0 ? threads : 1)
    for (int64_t i = 0; i < count; ++i) {
        {
            std::lock_guard lock(mutex);
            if (error) continue;  // after a failure or cancellation, skip the rest quickly
        }
        try {
            analyze(todo[size_t(i)].tensor, todo[size_t(i)].type, mode, 0, {}, 1, cancel);
        } catch (...) {
            std::lock_guard lock(mutex);
            if (!error) error = std::current_exception();
            continue;
        }
        // Counted and reported under one lock: serialised (callers need not be thread-safe) and
        // in order (a count taken outside the lock could be reported after a later one).
        std::lock_guard lock(mutex);
        ++done;
        if (progress) progress(double(done) / double(count));
    }
    if (error) std::rethrow_exception(error);
    return todo.size();
}

MixSummary ModelAnalyzer::summarize(const std::string &name, const std::vector<MixEntry> &mix, AnalysisMode mode,
                                    int threads, const std::atomic<bool> *cancel,
                                    const std::function<void(double)> &progress) {
    MixSummary s;
    s.name = name;
    s.weighted = hasImportance();
    s.pairsComputed = analyzePairs(mix, mode, threads, cancel, progress);
    std::vector<std::shared_ptr<const TensorAnalysis>> results(mix.size());
    for (size_t i = 0; i < mix.size(); ++i)
        if (m_model->tensors().at(mix[i].tensor).info->type != mix[i].type)
            results[i] = lookup(mix[i].tensor, mix[i].type, mode);

    double sumRel = 0, sumWeightedRel = 0;
    for (size_t i = 0; i < mix.size(); ++i) {
        const GgufTensorInfo &info = *m_model->tensors().at(mix[i].tensor).info;
        const uint64_t params = uint64_t(info.elements());
        s.parameters += params;
        s.bytes += tensorBytesAt(info, mix[i].type);
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
    return s;
}

} // namespace qb
