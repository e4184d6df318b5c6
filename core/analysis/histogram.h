// Fixed-width histograms with a caller-chosen bin count and range.
//
// Contract: values outside [lo, hi) are counted in underflow/overflow, never dropped silently;
// NaN is counted apart. An automatic range (no lo/hi given) spans the data's finite min and max.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <vector>

namespace qb {

struct HistogramSpec {
    int bins = 64;
    std::optional<double> lo;
    std::optional<double> hi;
};

// Caller-chosen ranges for the three histograms of an analysis; an absent one is automatic.
struct HistogramRange {
    double lo = 0;
    double hi = 0;
    auto operator<=>(const HistogramRange &) const = default;
};

struct HistogramRanges {
    std::optional<HistogramRange> weights;
    std::optional<HistogramRange> error;
    std::optional<HistogramRange> relativeError;
    auto operator<=>(const HistogramRanges &) const = default;
};

struct Histogram {
    double lo = 0;
    double hi = 0;
    std::vector<uint64_t> counts;
    uint64_t underflow = 0;
    uint64_t overflow = 0;
    uint64_t nan = 0;

    double binWidth() const { return counts.empty() ? 0.0 : (hi - lo) / double(counts.size()); }
    double binCenter(size_t i) const { return lo + (double(i) + 0.5) * binWidth(); }
    uint64_t total() const;
};

// Builds a histogram of n values; throws std::invalid_argument for bins < 1 or lo >= hi.
Histogram makeHistogram(const float *values, int64_t n, const HistogramSpec &spec);

} // namespace qb
