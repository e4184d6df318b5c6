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
    double lo = spec.lo.value_or(0.0);
    double hi = spec.hi.value_or(0.0);
    if (!spec.lo || !spec.hi) {
        // Finite minimum and maximum in registers (v - v is 0 exactly for finite v): this pass
        // runs over every analysed value, so it must cost about a cycle per value.
        float mn = std::numeric_limits<float>::infinity();
        float mx = -std::numeric_limits<float>::infinity();
        for (int64_t i = 0; i < n; ++i) {
            const float v = values[i];
            if (v - v == 0.0f) {
                mn = v < mn ? v : mn;
                mx = v > mx ? v : mx;
            }
        }
        double dataLo = mn, dataHi = mx;
        if (!(dataLo <= dataHi)) { dataLo = -1; dataHi = 1; }  // no finite data
        if (dataLo == dataHi) { dataLo -= 0.5; dataHi += 0.5; }
        if (!spec.lo) lo = dataLo;
        // An automatic upper bound must include the maximum itself.
        if (!spec.hi) hi = std::nextafter(dataHi, std::numeric_limits<double>::infinity());
    }
    if (!(lo < hi)) throw std::invalid_argument("histogram: range must have lo < hi");

    Histogram h;
    h.lo = lo;
    h.hi = hi;
    h.counts.assign(size_t(spec.bins), 0);
    const double scale = double(spec.bins) / (hi - lo);
    const int64_t lastBin = spec.bins - 1;
    uint64_t *counts = h.counts.data();
    for (int64_t i = 0; i < n; ++i) {
        const double v = values[i];
        if (!(v >= lo)) {
            if (std::isnan(v)) ++h.nan;
            else ++h.underflow;
            continue;
        }
        if (v >= hi) { ++h.overflow; continue; }
        // v >= lo, so the product is non-negative: a signed conversion (one instruction) is exact.
        const int64_t bin = int64_t((v - lo) * scale);
        ++counts[bin < lastBin ? bin : lastBin];  // rounding at the top edge
    }
    return h;
}

} // namespace qb
