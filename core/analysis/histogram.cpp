#include "analysis/histogram.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace qb {

uint64_t Histogram::total() const {
    uint64_t t = underflow + overflow + nan;
    for (uint64_t c : counts) t += c;
    return t;
}

Histogram makeHistogram(const float *values, int64_t n, const HistogramSpec &spec) {
    if (spec.bins < 1 || spec.bins > (1 << 20)) throw std::invalid_argument("histogram: bins must be 1 to 1048576");
    double lo = spec.lo.value_or(std::numeric_limits<double>::infinity());
    double hi = spec.hi.value_or(-std::numeric_limits<double>::infinity());
    if (!spec.lo || !spec.hi) {
        for (int64_t i = 0; i < n; ++i) {
            const double v = values[i];
            if (!std::isfinite(v)) continue;
            if (!spec.lo) lo = std::min(lo, v);
            if (!spec.hi) hi = std::max(hi, v);
        }
        if (!std::isfinite(lo) || !std::isfinite(hi)) { lo = -1; hi = 1; }  // no finite data
        if (lo == hi) { lo -= 0.5; hi += 0.5; }
        // An automatic upper bound must include the maximum itself.
        if (!spec.hi) hi = std::nextafter(hi, std::numeric_limits<double>::infinity());
    }
    if (!(lo < hi)) throw std::invalid_argument("histogram: range must have lo < hi");

    Histogram h;
    h.lo = lo;
    h.hi = hi;
    h.counts.assign(size_t(spec.bins), 0);
    const double scale = double(spec.bins) / (hi - lo);
    for (int64_t i = 0; i < n; ++i) {
        const double v = values[i];
        if (std::isnan(v)) { ++h.nan; continue; }
        if (v < lo) { ++h.underflow; continue; }
        if (v >= hi) { ++h.overflow; continue; }
        size_t bin = size_t((v - lo) * scale);
        if (bin >= h.counts.size()) bin = h.counts.size() - 1;  // rounding at the top edge
        ++h.counts[bin];
    }
    return h;
}

} // namespace qb
