// Quantization error of one tensor for one candidate type: quantize, dequantize, compare.
//
// Contract: Preview analyses a deterministic, evenly spread sample sized so that one tensor
// answers in well under 100 ms on one core; Exact analyses every row. A preview samples at least
// kMinPreviewRows rows (or every row) whenever its element budget holds that many blocks: where
// whole rows would not fit, it analyses a segment of each row (a whole number of blocks, quantized
// as a row of its own, the segment's position cycling across the row's width), because rows differ
// in scale far more than the blocks of one row do, so many part-rows estimate a tensor's error
// far better than a few whole rows. Source rows may be
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
    int64_t sampledLength = 0;        // elements analysed per row: rowLength, or a preview's segment length
    std::vector<int64_t> rowOffsets;  // per analysed row: its first analysed column (0 for whole rows)
    std::vector<double> rowRmse;      // per analysed row (its segment): the per-row (output channel) error profile
    ErrorMetrics metrics;
    Histogram weights;                // original values
    Histogram error;                  // q - w
    Histogram relativeError;          // (q - w) / RMS(w) of the analysed rows
    uint64_t quantizedBytes = 0;      // size of the whole tensor in the candidate type
    double seconds = 0;
};

// The rows a preview samples: at least this many when the budget holds as many blocks.
// 256 part-rows put the sampling error of RMSE on tensors whose row scales spread over 4x
// at about 2.5 % (one sigma): the stated 10 % tolerance is four sigma.
inline constexpr int64_t kMinPreviewRows = 256;

struct PreviewSample {
    int64_t rows = 0;    // rows analysed (at least one)
    int64_t length = 0;  // elements analysed in each: the row length, or a whole number of blocks below it
};

// What a preview of this type and shape analyses. elementBudget 0 means the type's default budget
// (2^15 to 2^19 elements: slower kernels get smaller samples; weighted: with importance data,
// which slows some kernels down). The segment length is a whole number of both the source's and
// the candidate's blocks; rows * length stays within the budget except that every row analysed
// gets at least one such block.
PreviewSample previewSample(GgmlType candidate, GgmlType source, int64_t rows, int64_t rowLength,
                            int64_t elementBudget = 0, bool weighted = false);

TensorAnalysis analyzeTensor(const TensorAnalysisRequest &request);

} // namespace qb
