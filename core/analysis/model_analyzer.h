// Analysis at model level: any tensor for any type, and size against quality for whole mixes.
//
// Contract: one ModelAnalyzer per loaded model and importance matrix. Every (tensor, type)
// result is cached for the session, so summarising all labels costs little more than the
// distinct (tensor, type) pairs they use. The cache may be shared by the analyzers of one model
// (the GUI keeps one per model while importance matrices come and go): its keys hold each
// tensor's own importance fingerprint, so a result is reused exactly when the tensor's
// importance data (or its absence) is the same. A mix is a plain list of (tensor, type) entries, as
// the mix rules produce them; tensors kept in their stored type count with zero error.
// Aggregates: relative RMSE weighted by parameter count, sqrt(Σ nₜ·relₜ² / Σ nₜ); with an
// importance matrix also the importance-weighted relative error in the same way.
#pragma once

#include "analysis/analysis_cache.h"
#include "analysis/source_validation.h"
#include "analysis/tensor_analyzer.h"
#include "gguf/gguf_model.h"
#include "imatrix/importance_matrix.h"
#include "mix/mix_entry.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace qb {

struct MixSummary {
    std::string name;
    uint64_t bytes = 0;            // tensor data after quantization
    uint64_t parameters = 0;
    double bitsPerWeight = 0;
    double relativeRmse = 0;       // parameter-weighted
    bool weighted = false;
    double weightedRelative = 0;   // importance-weighted, where importance data exists
    size_t pairsComputed = 0;      // analyses run for this summary (not found in the cache)
};

class ModelAnalyzer {
public:
    static constexpr int kDefaultBins = 64;

    // The analyzer shares ownership of its model, so a background job holding the analyzer
    // keeps the model open. cache: shared with other analyzers of the same model, or null for a
    // cache of its own.
    ModelAnalyzer(std::shared_ptr<const GgufModel> model, std::shared_ptr<const ImportanceMatrix> imatrix,
                  std::shared_ptr<AnalysisCache> cache = nullptr);

    const GgufModel &model() const { return *m_model; }
    bool hasImportance() const { return bool(m_imatrix); }
    const ImportanceMatrix *importanceMatrix() const { return m_imatrix.get(); }
    const std::shared_ptr<const ImportanceMatrix> &sharedImportance() const { return m_imatrix; }

    // Importance values for a tensor (empty if none).
    std::span<const float> importanceFor(size_t tensor) const;

    // One tensor, one type; cached. bins applies to all three histograms; bins 0 computes no
    // histograms (metrics and row profile only), which is what summaries use. ranges: caller-chosen
    // histogram ranges (absent ones span the data); results with other ranges are not reused.
    // Throws qb::Error for a range that is not finite with lo < hi.
    std::shared_ptr<const TensorAnalysis> analyze(size_t tensor, GgmlType type, AnalysisMode mode, int bins = kDefaultBins,
                                                  const HistogramRanges &ranges = {},
                                                  int threads = 1, const std::atomic<bool> *cancel = nullptr);
    // A cached result, exact preferred, without computing anything. With bins 0 (no histograms
    // wanted) a result with histograms also answers.
    std::shared_ptr<const TensorAnalysis> cached(size_t tensor, GgmlType type, int bins = kDefaultBins,
                                                 const HistogramRanges &ranges = {}) const;

    // Analyses every distinct pair of the list not yet cached (pairs whose type is the tensor's
    // stored type need none), in parallel over pairs, one thread each, largest first. Returns
    // the number of analyses run. progress gets the fraction of the needed pairs done.
    size_t analyzePairs(const std::vector<MixEntry> &pairs, AnalysisMode mode, int threads,
                        const std::atomic<bool> *cancel = nullptr,
                        const std::function<void(double)> &progress = {});

    // Size and aggregate error of a whole mix. Work runs in parallel over tensors.
    MixSummary summarize(const std::string &name, const std::vector<MixEntry> &mix, AnalysisMode mode, int threads,
                         const std::atomic<bool> *cancel = nullptr,
                         const std::function<void(double)> &progress = {});

    size_t cacheSize() const { return m_cache->size(); }
    const std::shared_ptr<AnalysisCache> &cache() const { return m_cache; }

private:
    // A cached result usable by a summary in `mode` (exact also answers preview).
    std::shared_ptr<const TensorAnalysis> lookup(size_t tensor, GgmlType type, AnalysisMode mode) const;
    AnalysisKey keyFor(size_t tensor, GgmlType type, AnalysisMode mode, int bins, const HistogramRanges &ranges = {}) const;

    std::shared_ptr<const GgufModel> m_model;
    std::shared_ptr<const ImportanceMatrix> m_imatrix;
    std::vector<uint64_t> m_fingerprints;  // per tensor: importanceFingerprint of its importance data
    std::shared_ptr<AnalysisCache> m_cache;
    std::shared_ptr<SourceValidation> m_sources;  // quantized sources' block scales, checked once
};

} // namespace qb
