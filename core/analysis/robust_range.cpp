#include "analysis/robust_range.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace qb {

std::optional<HistogramRange> centralRange(const Histogram &h, double coverage, double margin) {
    if (!(coverage > 0.0 && coverage <= 1.0)) throw std::invalid_argument("central range: coverage must be in (0, 1]");
    if (!(margin >= 0.0)) throw std::invalid_argument("central range: margin must not be negative");
    const uint64_t finite = h.total() - h.nan;
    if (finite == 0 || h.counts.empty() || !(h.lo < h.hi)) return std::nullopt;
    // How many values each side may leave out (floor: never cut more than asked).
    const auto cut = uint64_t(std::floor((1.0 - coverage) / 2.0 * double(finite)));

    // Lowest bin kept: skip bins while the values below them (underflow included) stay within the cut.
    size_t first = 0;
    uint64_t below = h.underflow;
    while (first < h.counts.size() && below + h.counts[first] <= cut) below += h.counts[first++];
    // Highest bin kept, the same from the top.
    size_t last = h.counts.size() - 1;
    uint64_t above = h.overflow;
    while (last > first && above + h.counts[last] <= cut) above += h.counts[last--];
    if (first >= h.counts.size()) {
        // Everything counted lies in underflow/overflow (a scout with a fixed range): keep its range.
        first = 0;
        last = h.counts.size() - 1;
    }

    const double width = h.binWidth();
    double lo = h.lo + double(first) * width;
    double hi = h.lo + double(last + 1) * width;
    if (last + 1 == h.counts.size()) hi = h.hi;  // exactly the top edge, not a rounded product
    const double pad = (hi - lo) * margin;
    lo -= pad;
    hi += pad;
    if (!(lo < hi) || !std::isfinite(lo) || !std::isfinite(hi)) return std::nullopt;
    return HistogramRange{lo, hi};
}

HistogramRange unite(const HistogramRange &a, const HistogramRange &b) {
    return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)};
}

HistogramRanges robustRanges(const std::vector<const TensorAnalysis *> &scouts, double coverage, double margin) {
    HistogramRanges ranges;
    auto include = [](std::optional<HistogramRange> &into, const std::optional<HistogramRange> &r) {
        if (!r) return;
        into = into ? unite(*into, *r) : *r;
    };
    for (const TensorAnalysis *scout : scouts) {
        if (!scout) continue;
        if (!ranges.weights) ranges.weights = centralRange(scout->weights, coverage, margin);
        include(ranges.error, centralRange(scout->error, coverage, margin));
        include(ranges.relativeError, centralRange(scout->relativeError, coverage, margin));
    }
    return ranges;
}

} // namespace qb
