#include "analysis/tensor_analyzer.h"

#include "error.h"
#include "kernels/kernels.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <numeric>
#include <string>

namespace qb {
namespace {

// Elements a preview quantizes: the slower kernels get smaller samples so every type answers in
// about the same time. Importance data makes some quantizers search far more (Q4_0/Q5_0 weighted
// scale search about 15x slower, Q4_1/Q5_1 about 70x), so their weighted budgets are smaller.
// Measured on one core (bench_analysis, 50 M-element F16 tensor, 6144-wide rows), every type with
// and without importance data stays under about 50 ms of CPU time with these budgets. The
// preview-against-exact tolerance is tested at these budgets on a tensor wide enough to be cut
// into segments, and at the smallest, 2^15, on the golden models' whole rows.
int64_t previewElementBudget(GgmlType type, bool weighted) {
    switch (type) {
    case GgmlType::IQ1_S: case GgmlType::IQ1_M: case GgmlType::IQ2_XXS: case GgmlType::IQ2_XS: case GgmlType::IQ2_S:
        return int64_t(1) << 15;
    case GgmlType::IQ3_XXS: case GgmlType::IQ3_S: case GgmlType::IQ4_XS: case GgmlType::IQ4_NL:
        return int64_t(1) << 16;
    case GgmlType::Q2_K: case GgmlType::Q3_K: case GgmlType::TQ1_0: case GgmlType::TQ2_0:
        return int64_t(1) << 18;
    case GgmlType::Q4_1: case GgmlType::Q5_1:
        return int64_t(1) << (weighted ? 16 : 19);
    case GgmlType::Q4_0: case GgmlType::Q5_0:
        return int64_t(1) << (weighted ? 18 : 19);
    default:
        return int64_t(1) << 19;
    }
}

// Buffers one thread reuses across analyses. A label table runs thousands of previews per
// thread; fresh buffers each time cost zero-filling and page faults comparable to a fast
// kernel's work. Buffers above a few preview sizes (exact analyses) are released after use.
struct AnalysisScratch {
    std::vector<float> weights, errors, reconstructed;
    std::vector<uint8_t> quantized;

    void trim() {
        constexpr size_t kKeepElements = size_t(1) << 21;
        if (weights.capacity() > kKeepElements) std::vector<float>().swap(weights);
        if (errors.capacity() > kKeepElements) std::vector<float>().swap(errors);
    }
};

AnalysisScratch &threadScratch() {
    thread_local AnalysisScratch scratch;
    return scratch;
}

// The rows analysed, evenly spread and ascending, and each one's first analysed column.
struct Sample {
    int64_t length = 0;
    std::vector<int64_t> rows, offsets;
};

Sample chooseSample(const TensorAnalysisRequest &req) {
    const PreviewSample p =
        req.mode == AnalysisMode::Exact
            ? PreviewSample{req.rows, req.rowLength}
            : previewSample(req.candidate, req.sourceType, req.rows, req.rowLength, req.previewElements,
                            !req.importance.empty());
    Sample s;
    s.length = p.length;
    s.rows.resize(size_t(p.rows));
    s.offsets.assign(size_t(p.rows), 0);
    for (int64_t i = 0; i < p.rows; ++i)
        s.rows[size_t(i)] = p.rows == req.rows ? i : int64_t((double(i) + 0.5) * double(req.rows) / double(p.rows));
    if (p.length < req.rowLength) {
        // Segments step through the row's width from one sampled row to the next, so every column
        // (and importance value) is seen, about equally often: enough positions to cover the row,
        // spread from its start to its end. Positions are whole blocks, so the source can be
        // decoded from the segment's first block.
        const int64_t unit = std::lcm(typeTraits(req.sourceType).blockSize, typeTraits(req.candidate).blockSize);
        const int64_t positions = (req.rowLength + p.length - 1) / p.length;
        const int64_t freeUnits = (req.rowLength - p.length) / unit;
        for (int64_t i = 0; i < p.rows; ++i)
            s.offsets[size_t(i)] = positions > 1 ? (i % positions) * freeUnits / (positions - 1) * unit : 0;
    }
    return s;
}

void validate(const TensorAnalysisRequest &req) {
    const TypeTraits &src = typeTraits(req.sourceType);
    if (req.rows <= 0 || req.rowLength <= 0) throw Error("analysis: the tensor has no rows");
    if (req.rowLength % src.blockSize != 0 ||
        uint64_t(req.sourceData.size()) != uint64_t(req.rows) * uint64_t(rowSizeBytes(req.sourceType, req.rowLength)))
        throw Error("analysis: source data does not match its shape and type");
    if (!canDequantize(req.sourceType)) throw Error(std::string("analysis: cannot decode ") + src.name);
    const TypeTraits &cand = typeTraits(req.candidate);
    if (req.rowLength % cand.blockSize != 0)
        throw Error("analysis: row length " + std::to_string(req.rowLength) + " is not a whole number of " + cand.name +
                    " blocks");
    if (!canQuantize(req.candidate) || !canDequantize(req.candidate))
        throw Error(std::string("analysis: type ") + cand.name + " cannot be quantized and decoded");
    if (req.previewElements < 0) throw Error("analysis: negative preview sample size");
    if (!req.importance.empty() && int64_t(req.importance.size()) % req.rowLength != 0)
        throw Error("analysis: importance data has " + std::to_string(req.importance.size()) +
                    " values, not a multiple of the row length " + std::to_string(req.rowLength));
    if (req.importance.empty() && needsImportance(req.candidate))
        throw Error(std::string("analysis: ") + cand.name + " needs an importance matrix");
}

// The importance vector that applies to a row (per expert for 3-D tensors).
const float *importanceForRow(const TensorAnalysisRequest &req, int64_t row) {
    if (req.importance.empty()) return nullptr;
    const int64_t groups = int64_t(req.importance.size()) / req.rowLength;
    const int64_t perMatrix = req.rowsPerMatrix > 0 ? req.rowsPerMatrix : req.rows;
    const int64_t group = std::min(groups - 1, row / perMatrix);
    return req.importance.data() + group * req.rowLength;
}

} // namespace

PreviewSample previewSample(GgmlType candidate, GgmlType source, int64_t rows, int64_t rowLength,
                            int64_t elementBudget, bool weighted) {
    const int64_t budget = elementBudget > 0 ? elementBudget : previewElementBudget(candidate, weighted);
    const int64_t n = std::max<int64_t>(rowLength, 1);
    const int64_t wholeRows = std::min(rows, std::max<int64_t>(1, budget / n));
    const int64_t unit = std::lcm(typeTraits(source).blockSize, typeTraits(candidate).blockSize);
    // Whole rows when they are enough (or the row cannot be cut into the blocks of both types).
    if (wholeRows >= std::min(rows, kMinPreviewRows) || n % unit != 0 || n == unit) return {wholeRows, n};
    const int64_t sampled = std::min(rows, std::max(wholeRows, std::min(kMinPreviewRows, budget / unit)));
    const int64_t length = std::clamp(budget / sampled / unit * unit, unit, n);
    return {sampled, length};
}

TensorAnalysis analyzeTensor(const TensorAnalysisRequest &req) {
    const auto start = std::chrono::steady_clock::now();
    validate(req);

    TensorAnalysis out;
    out.candidate = req.candidate;
    out.mode = req.mode;
    out.totalRows = req.rows;
    out.rowLength = req.rowLength;
    out.quantizedBytes = uint64_t(req.rows) * uint64_t(rowSizeBytes(req.candidate, req.rowLength));
    Sample sample = chooseSample(req);
    out.rowIndices = std::move(sample.rows);
    out.rowOffsets = std::move(sample.offsets);
    out.sampledLength = sample.length;

    const int64_t n = sample.length;
    const bool wholeRows = n == req.rowLength;
    const TypeTraits &source = typeTraits(req.sourceType);
    const int64_t sourceRowBytes = rowSizeBytes(req.sourceType, req.rowLength);
    const int64_t quantRowBytes = rowSizeBytes(req.candidate, n);
    const int64_t analysed = int64_t(out.rowIndices.size());
    // Rows per batch: about 64 K elements, so cancellation and progress stay responsive (a few
    // milliseconds per batch even for the slowest kernels) while batches stay big enough to share
    // among threads.
    const int64_t batchRows = std::max<int64_t>(1, (int64_t(1) << 16) / n);
    // The importance values that apply to analysed row i (its expert's vector, from its segment's start).
    auto importanceAt = [&](int64_t i) -> const float * {
        const float *v = importanceForRow(req, out.rowIndices[size_t(i)]);
        return v ? v + out.rowOffsets[size_t(i)] : nullptr;
    };

    AnalysisScratch &scratch = threadScratch();
    std::vector<float> &weights = scratch.weights;
    std::vector<float> &errors = scratch.errors;
    std::vector<uint8_t> &quantized = scratch.quantized;
    std::vector<float> &reconstructed = scratch.reconstructed;
    weights.resize(static_cast<size_t>(analysed * n));
    errors.resize(req.histograms ? static_cast<size_t>(analysed * n) : 0);
    std::vector<RowErrorSums> sums(static_cast<size_t>(analysed));

    for (int64_t first = 0; first < analysed;) {
        if (req.cancel && req.cancel->load(std::memory_order_relaxed)) {
            scratch.trim();
            throw Error("analysis cancelled", ErrorKind::Cancelled);
        }
        // Whole rows are quantized a batch at a time, and a batch shares one importance vector:
        // stop it where the expert changes. Segments are quantized one by one.
        const float *importance = importanceAt(first);
        int64_t count = 1;
        while (count < batchRows && first + count < analysed && (!wholeRows || importanceAt(first + count) == importance))
            ++count;

        float *w = weights.data() + first * n;
        for (int64_t i = 0; i < count; ++i) {
            const int64_t row = out.rowIndices[size_t(first + i)];
            const int64_t offsetBytes = out.rowOffsets[size_t(first + i)] / source.blockSize * source.typeSize;
            dequantizeRows(req.sourceType, req.sourceData.data() + row * sourceRowBytes + offsetBytes, w + i * n, 1, n,
                           1);
        }
        quantized.resize(size_t(count * quantRowBytes));
        reconstructed.resize(size_t(count * n));
        if (wholeRows) {
            quantizeRows(req.candidate, w, quantized.data(), count, n, importance, req.threads);
            dequantizeRows(req.candidate, quantized.data(), reconstructed.data(), count, n, req.threads);
        } else {
            std::exception_ptr failure;
#pragma omp parallel for schedule(static) num_threads(std::max(1, req.threads)) if (req.threads > 1 && count > 1)
            for (int64_t i = 0; i < count; ++i) {
                try {  // an exception must not leave an OpenMP region
                    quantizeRows(req.candidate, w + i * n, quantized.data() + i * quantRowBytes, 1, n,
                                 importanceAt(first + i), 1);
                    dequantizeRows(req.candidate, quantized.data() + i * quantRowBytes, reconstructed.data() + i * n, 1,
                                   n, 1);
                } catch (...) {
#pragma omp critical(qb_analysis_failure)
                    if (!failure) failure = std::current_exception();
                }
            }
            if (failure) {
                scratch.trim();
                std::rethrow_exception(failure);
            }
        }

        float *e = errors.data() + first * n;
#pragma omp parallel for schedule(static) num_threads(std::max(1, req.threads)) if (req.threads > 1 && count > 1)
        for (int64_t i = 0; i < count; ++i) {
            const float *wr = w + i * n;
            const float *qr = reconstructed.data() + i * n;
            if (req.histograms)
                for (int64_t j = 0; j < n; ++j) e[i * n + j] = qr[j] - wr[j];
            sums[size_t(first + i)] = rowErrorSums(wr, qr, n, importanceAt(first + i));
        }
        first += count;
        if (req.progress) req.progress(double(first) / double(analysed));
    }

    out.metrics = combineRows(sums, n, !req.importance.empty());
    out.rowRmse.reserve(sums.size());
    for (const RowErrorSums &s : sums) out.rowRmse.push_back(rowRmse(s, n));

    if (!req.histograms) {
        scratch.trim();
        out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return out;
    }
    out.weights = makeHistogram(weights.data(), int64_t(weights.size()), req.weightBins);
    out.error = makeHistogram(errors.data(), int64_t(errors.size()), req.errorBins);
    double sumSqWeight = 0;
    for (const RowErrorSums &s : sums) sumSqWeight += s.sumSqWeight;
    const double rmsWeight = std::sqrt(sumSqWeight / double(weights.size()));
    if (rmsWeight > 0)
        for (float &v : errors) v = float(double(v) / rmsWeight);
    out.relativeError = makeHistogram(errors.data(), int64_t(errors.size()), req.relativeErrorBins);

    scratch.trim();
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
}

} // namespace qb
