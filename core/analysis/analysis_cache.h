// Session cache of tensor analyses, keyed by everything that changes the answer.
//
// Contract: thread-safe; results are immutable and shared, so the GUI and a background job can
// hold the same result. The importance fingerprint identifies the importance data (e.g. a hash
// of its values, 0 for none) so that loading another importance matrix never returns stale metrics.
#pragma once

#include "analysis/tensor_analyzer.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

namespace qb {

struct AnalysisKey {
    std::string tensor;
    GgmlType candidate = GgmlType::Q8_0;
    uint64_t importanceFingerprint = 0;
    AnalysisMode mode = AnalysisMode::Preview;
    int bins = 0;  // all three histograms' bin counts must agree for a hit
    HistogramRanges ranges;  // and their ranges (none with bins 0: no histograms)

    auto tie() const { return std::tie(tensor, candidate, importanceFingerprint, mode, bins, ranges); }
    bool operator<(const AnalysisKey &o) const { return tie() < o.tie(); }
};

class AnalysisCache {
public:
    std::shared_ptr<const TensorAnalysis> find(const AnalysisKey &key) const;
    // An exact result also answers later preview requests for the same key.
    std::shared_ptr<const TensorAnalysis> findBest(AnalysisKey key) const;
    void insert(const AnalysisKey &key, std::shared_ptr<const TensorAnalysis> result);
    void clear();
    size_t size() const;

private:
    mutable std::mutex m_mutex;
    std::map<AnalysisKey, std::shared_ptr<const TensorAnalysis>> m_results;
};

// FNV-1a over the importance values' bytes; 0 for no importance data.
uint64_t importanceFingerprint(std::span<const float> importance);

} // namespace qb
