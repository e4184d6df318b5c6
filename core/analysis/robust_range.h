// Histogram ranges that show the body of a distribution instead of its extremes.
//
// A handful of outliers (common in LLM weights) stretch an automatic range, min to max, so far
// that the body of the distribution falls into two or three bins. The robust range holds the
// central 99.9 % of the values; the rest is counted as underflow/overflow, which the caller shows.
//
// Why central quantiles rather than ±k·RMS: the values need not be centred on zero (norm weights
// sit near 1), the error of a type can be skewed, and the outliers that make min..max useless also
// inflate an RMS; a central fraction adapts to offset, skew and tails alike, without a constant k
// tuned per distribution. The quantiles are read off a "scout" histogram with many bins over the
// automatic range (an analysis the caller runs first, e.g. a preview, which the analyzer caches),
// so no extra pass over the values is needed; the result is widened to whole bins of the scout,
// so it never holds less than the asked fraction of the scout's values.
#pragma once

#include "analysis/histogram.h"
#include "analysis/tensor_analyzer.h"

#include <optional>
#include <vector>

namespace qb {

inline constexpr double kRobustCoverage = 0.999;  // central fraction of the values kept in range
inline constexpr double kRobustMargin = 0.05;     // widening on each side, as a fraction of the width
// Bins of the scout histogram: with outliers 100 standard deviations out, the body still spans
// about 15 bins of the scout, enough to place its quantiles within a few percent of its width.
inline constexpr int kRobustScoutBins = 4096;

// The range of whole bins of h that cuts at most (1 − coverage) / 2 of its finite values on each
// side (underflow counts on the low side, overflow on the high side, NaN on neither), widened by
// margin × its width on both sides so the tails stay visible. nullopt when h counts no finite
// value. Throws std::invalid_argument for coverage outside (0, 1] or a negative margin.
std::optional<HistogramRange> centralRange(const Histogram &h, double coverage = kRobustCoverage,
                                           double margin = kRobustMargin);

// The smallest range holding both.
HistogramRange unite(const HistogramRange &a, const HistogramRange &b);

// Ranges for one tensor analysed for several types, from scout analyses of it (histograms over
// automatic ranges with many bins; null entries are skipped): the weights' from the first scout
// (the weights do not depend on the type), error and relative error the union over every scout,
// so the types compared share one axis and one set of bins. A range stays absent (automatic)
// where no scout has a finite value.
HistogramRanges robustRanges(const std::vector<const TensorAnalysis *> &scouts, double coverage = kRobustCoverage,
                             double margin = kRobustMargin);

} // namespace qb
