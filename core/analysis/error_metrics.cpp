#include "analysis/error_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qb {

RowErrorSums rowErrorSums(const float *original, const float *reconstructed, int64_t n, const float *importance) {
    // Four interleaved partial sums per quantity, combined at the end in a fixed order: the
    // result depends only on the row (never on threads), and the four independent dependency
    // chains run about four times faster than one. This runs over every analysed value.
    constexpr int kLanes = 4;
    double se[kLanes] = {}, sw[kLanes] = {}, sr[kLanes] = {}, sx[kLanes] = {};
    double wse[kLanes] = {}, wsw[kLanes] = {}, ws[kLanes] = {};
    double maxErr[kLanes] = {};
    const int64_t whole = n - n % kLanes;
    auto accumulate = [&](int lane, int64_t i) {
        const double w = original[i];
        const double q = reconstructed[i];
        const double e = q - w;
        se[lane] += e * e;
        sw[lane] += w * w;
        sr[lane] += q * q;
        sx[lane] += w * q;
        const double a = std::abs(e);
        maxErr[lane] = a > maxErr[lane] ? a : maxErr[lane];
        if (importance) {
            const double imp = importance[i];
            wse[lane] += imp * e * e;
            wsw[lane] += imp * w * w;
            ws[lane] += imp;
        }
    };
    for (int64_t i = 0; i < whole; i += kLanes)
        for (int lane = 0; lane < kLanes; ++lane) accumulate(lane, i + lane);
    for (int64_t i = whole; i < n; ++i) accumulate(int(i - whole), i);

    RowErrorSums s;
    for (int lane = 0; lane < kLanes; ++lane) {
        s.sumSqErr += se[lane];
        s.sumSqWeight += sw[lane];
        s.sumSqRecon += sr[lane];
        s.sumCross += sx[lane];
        s.maxAbsErr = std::max(s.maxAbsErr, maxErr[lane]);
        s.wSumSqErr += wse[lane];
        s.wSumSqWeight += wsw[lane];
        s.wSum += ws[lane];
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
