#include "analysis/analysis_cache.h"

#include <cstring>

namespace qb {

std::shared_ptr<const TensorAnalysis> AnalysisCache::find(const AnalysisKey &key) const {
    std::lock_guard lock(m_mutex);
    auto it = m_results.find(key);
    return it == m_results.end() ? nullptr : it->second;
}

std::shared_ptr<const TensorAnalysis> AnalysisCache::findBest(AnalysisKey key) const {
    key.mode = AnalysisMode::Exact;
    if (auto exact = find(key)) return exact;
    key.mode = AnalysisMode::Preview;
    return find(key);
}

void AnalysisCache::insert(const AnalysisKey &key, std::shared_ptr<const TensorAnalysis> result) {
    std::lock_guard lock(m_mutex);
    m_results[key] = std::move(result);
}

void AnalysisCache::clear() {
    std::lock_guard lock(m_mutex);
    m_results.clear();
}

size_t AnalysisCache::size() const {
    std::lock_guard lock(m_mutex);
    return m_results.size();
}

uint64_t importanceFingerprint(std::span<const float> importance) {
    if (importance.empty()) return 0;
    uint64_t h = 1469598103934665603ull;
    const auto *p = reinterpret_cast<const uint8_t *>(importance.data());
    for (size_t i = 0; i < importance.size_bytes(); ++i) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h ? h : 1;
}

} // namespace qb
