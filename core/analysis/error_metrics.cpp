#include "analysis/error_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qb {

RowErrorSums rowErrorSums(const float *original, const float *reconstructed, int64_t n, const float *importance) {
    RowErrorSums s;
    for (int64_t i = 0; i < n; ++i) {
        const double w = original[i];
        const double q = reconstructed[i];
        const double e = q - w;
        s.sumSqErr += e * e;
        s.sumSqWeight += w * w;
        s.sumSqRecon += q * q;
        s.sumCross += w * q;
        s.maxAbsErr = std::max(s.maxAbsErr, std::abs(e));
        if (importance) {
            const double imp = importance[i];
            s.wSumSqErr += imp * e * e;
            s.wSumSqWeight += imp * w * w;
            s.wSum += imp;
        }
    }
    return s;
}

ErrorMetrics combineRows(const std::vector<RowErrorSums> &rows, int64_t rowLength, bool weighted) {
    RowErrorSums t;
    for (const RowErrorSums &r : rows) {
        t.sumSqErr += r.sumSqErr;
        t.sumSqWeight += r.sumSqWeight;
        t.sumSqRecon += r.sumSqRecon;
        t.sumCross += r.sumCross;
        t.maxAbsErr = std::max(t.maxAbsErr, r.maxAbsErr);
        t.wSumSqErr += r.wSumSqErr;
        t.wSumSqWeight += r.wSumSqWeight;
        t.wSum += r.wSum;
    }
    ErrorMetrics m;
    m.elements = int64_t(rows.size()) * rowLength;
    if (m.elements == 0) return m;
    m.rmse = std::sqrt(t.sumSqErr / double(m.elements));
    m.maxAbsError = t.maxAbsErr;
    m.relativeRmse = t.sumSqWeight > 0 ? std::sqrt(t.sumSqErr / t.sumSqWeight) : (t.sumSqErr > 0 ? 1.0 : 0.0);
    m.snrDb = t.sumSqErr > 0 ? 10.0 * std::log10(t.sumSqWeight / t.sumSqErr) : std::numeric_limits<double>::infinity();
    const double norms = std::sqrt(t.sumSqWeight) * std::sqrt(t.sumSqRecon);
    m.cosine = norms > 0 ? t.sumCross / norms : (t.sumSqErr == 0 ? 1.0 : 0.0);
    m.weighted = weighted;
    if (weighted) {
        m.weightedRmse = t.wSum > 0 ? std::sqrt(t.wSumSqErr / t.wSum) : 0.0;
        m.weightedRelative = t.wSumSqWeight > 0 ? std::sqrt(t.wSumSqErr / t.wSumSqWeight) : 0.0;
    }
    return m;
}

double rowRmse(const RowErrorSums &sums, int64_t rowLength) {
    return rowLength > 0 ? std::sqrt(sums.sumSqErr / double(rowLength)) : 0.0;
}

} // namespace qb
