// Error metrics between original weights and their quantize-then-dequantize reconstruction.
//
// Contract: sums are accumulated per row in double, then rows are combined in row order, so
// results never depend on the thread count. With an importance vector (one weight per column,
// as the quantizers use it), the weighted forms weight each element's squared error by its
// column's importance.
#pragma once

#include <cstdint>
#include <vector>

namespace qb {

// Per-row partial sums; the building block of every metric and the per-row error profile.
struct RowErrorSums {
    double sumSqErr = 0;      // Σ (q - w)²
    double sumSqWeight = 0;   // Σ w²
    double sumSqRecon = 0;    // Σ q²
    double sumCross = 0;      // Σ w·q
    double maxAbsErr = 0;     // max |q - w|
    double wSumSqErr = 0;     // Σ imp·(q - w)²
    double wSumSqWeight = 0;  // Σ imp·w²
    double wSum = 0;          // Σ imp
};

struct ErrorMetrics {
    int64_t elements = 0;
    double rmse = 0;
    double maxAbsError = 0;
    double relativeRmse = 0;      // ‖q - w‖ / ‖w‖
    double snrDb = 0;             // 10·log10(‖w‖² / ‖q - w‖²); +inf when exact
    double cosine = 1;            // (w·q) / (‖w‖‖q‖)
    bool weighted = false;        // the two below are meaningful only with importance data
    double weightedRmse = 0;      // sqrt(Σ imp·err² / Σ imp)
    double weightedRelative = 0;  // sqrt(Σ imp·err² / Σ imp·w²)
};

// Sums for one row of n values; importance may be null.
RowErrorSums rowErrorSums(const float *original, const float *reconstructed, int64_t n, const float *importance);

// Combines rows (in order) into metrics.
ErrorMetrics combineRows(const std::vector<RowErrorSums> &rows, int64_t rowLength, bool weighted);

// Root-mean-square error of one row, for the per-row profile.
double rowRmse(const RowErrorSums &sums, int64_t rowLength);

} // namespace qb
