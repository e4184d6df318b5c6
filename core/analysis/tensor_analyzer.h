// Quantization error of one tensor for one candidate type: quantize, dequantize, compare.
//
// Contract: Preview analyses a deterministic, evenly spread sample of rows sized so that one
// tensor answers in well under 100 ms on one core; Exact analyses every row. Source rows may be
// stored in any type the kernels can decode (F32/F16/BF16 or already quantized). Work runs in
// batches of rows, so memory beyond the analysed values is a few batches; the cancel flag is
// polled per batch (throws qb::Error of kind Cancelled). Results are plain values, safe to pass
// between threads. Bytes of the quantized form are the full tensor's, whatever the mode.
#pragma once

#include "analysis/error_metrics.h"
#include "analysis/histogram.h"
#include "ggml_types.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace qb {

enum class AnalysisMode { Preview, Exact };

struct TensorAnalysisRequest {
    GgmlType sourceType = GgmlType::F32;
    std::span<const uint8_t> sourceData;  // rows x rowLength elements of sourceType
    int64_t rows = 0;
    int64_t rowLength = 0;
    int64_t rowsPerMatrix = 0;            // ne[1]; rows of one expert for 3-D tensors (0: all rows)

    GgmlType candidate = GgmlType::Q8_0;
    std::span<const float> importance;    // empty, rowLength, or rowLength x experts values

    AnalysisMode mode = AnalysisMode::Preview;
    int64_t previewElements = 0;          // preview sample size in elements; 0: the type's default budget
    bool histograms = true;               // false: metrics and row profile only (the three histograms stay empty)
    HistogramSpec weightBins;
    HistogramSpec errorBins;
    HistogramSpec relativeErrorBins;
    int threads = 1;
    const std::atomic<bool> *cancel = nullptr;
    std::function<void(double fraction)> progress;
};

struct TensorAnalysis {
    GgmlType candidate = GgmlType::Q8_0;
    AnalysisMode mode = AnalysisMode::Preview;
    int64_t totalRows = 0;
    int64_t rowLength = 0;
    std::vector<int64_t> rowIndices;  // the rows analysed, ascending
    std::vector<double> rowRmse;      // per analysed row: the per-row (output channel) error profile
    ErrorMetrics metrics;
    Histogram weights;                // original values
    Histogram error;                  // q - w
    Histogram relativeError;          // (q - w) / RMS(w) of the analysed rows
    uint64_t quantizedBytes = 0;      // size of the whole tensor in the candidate type
    double seconds = 0;
};

// How many rows a preview analyses for this type and row length (at least one). elementBudget 0
// means the type's default budget (2^15 to 2^19 elements: slower kernels get smaller samples;
// weighted: with importance data, which slows some kernels down).
int64_t previewRowCount(GgmlType candidate, int64_t rows, int64_t rowLength, int64_t elementBudget = 0,
                        bool weighted = false);

TensorAnalysis analyzeTensor(const TensorAnalysisRequest &request);

} // namespace qb
