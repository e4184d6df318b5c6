#include "kernels/kernels.h"

#include "error.h"
#include "kernels/kernel_ops.h"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <string>
#include <vector>

namespace qb {
namespace {

const KernelOps *findOps(GgmlType type) {
    using Lookup = const KernelOps *(*)(GgmlType);
    static constexpr Lookup kFamilies[] = {floatKernelOps, legacyKernelOps, kquantKernelOps,  iq1KernelOps, iq2KernelOps,
                                           iq3KernelOps,   iq4KernelOps,    ternaryKernelOps, microKernelOps};
    for (Lookup lookup : kFamilies)
        if (const KernelOps *ops = lookup(type)) return ops;
    return nullptr;
}

const KernelOps &requireOps(GgmlType type, bool forQuantize) {
    const KernelOps *ops = findOps(type);
    if (!ops || (forQuantize ? !ops->quantize : !ops->dequantize))
        throw Error(std::string(forQuantize ? "cannot quantize to type " : "cannot decode type ") + typeName(type));
    return *ops;
}

void checkShape(GgmlType type, int64_t nrows, int64_t ncols) {
    const TypeTraits &t = typeTraits(type);
    if (nrows < 0 || ncols <= 0 || ncols % t.blockSize != 0)
        throw Error("row length " + std::to_string(ncols) + " is not a whole number of " + t.name + " blocks of " +
                    std::to_string(t.blockSize));
}

void checkImportance(const KernelOps &ops, const float *importance) {
    if (ops.needsImportance && !importance)
        throw Error(std::string("type ") + typeName(ops.type) +
                    " needs an importance matrix (llama.cpp refuses to produce it without one)");
}

int resolveThreads(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }

// Rows per parallel chunk: enough work per task to amortise scheduling, small enough to balance.
int64_t rowsPerChunk(int64_t nrows, int64_t ncols, int threads) {
    const int64_t target = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(ncols, 1));
    const int64_t balanced = (nrows + int64_t(threads) * 4 - 1) / (int64_t(threads) * 4);
    return std::max<int64_t>(1, std::min(target, balanced));
}

} // namespace

bool canQuantize(GgmlType type) {
    const KernelOps *ops = findOps(type);
    return ops && ops->quantize;
}

bool canDequantize(GgmlType type) {
    const KernelOps *ops = findOps(type);
    return ops && ops->dequantize;
}

bool needsImportance(GgmlType type) {
    const KernelOps *ops = findOps(type);
    return ops && ops->needsImportance;
}

bool sameQuantizer(GgmlType type, RuleSet a, RuleSet b) {
    const KernelOps *ops = findOps(type);
    return !ops || quantizerFor(*ops, a) == quantizerFor(*ops, b);
}

size_t quantizeRows(GgmlType type, const float *src, void *dst, int64_t nrows, int64_t ncols,
                    const float *importance, int threads, RuleSet rules) {
    const KernelOps &ops = requireOps(type, true);
    const QuantizeRowsFn quantize = quantizerFor(ops, rules);
    checkShape(type, nrows, ncols);
    checkImportance(ops, importance);
    const int n = resolveThreads(threads);
    const int64_t rowBytes = rowSizeBytes(type, ncols);
    const int64_t chunk = rowsPerChunk(nrows, ncols, n);
    const int64_t chunks = (nrows + chunk - 1) / chunk;
    auto *out = static_cast<uint8_t *>(dst);
    // An exception must not leave an OpenMP region (that terminates the process): the first
    // one a kernel throws is kept and rethrown after the loop.
    std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1) num_threads(n) if (n > 1 && chunks > 1)
    for (int64_t c = 0; c < chunks; ++c) {
        const int64_t first = c * chunk;
        const int64_t count = std::min(chunk, nrows - first);
        try {
            quantize(src + first * ncols, out + first * rowBytes, count, ncols, importance);
        } catch (...) {
#pragma omp critical(qb_quantize_failure)
            if (!failure) failure = std::current_exception();
        }
    }
    if (failure) std::rethrow_exception(failure);
    return size_t(nrows * rowBytes);
}

size_t transcodeRows(GgmlType from, const void *src, GgmlType to, void *dst, int64_t nrows, int64_t ncols,
                     const float *importance, int threads, RuleSet rules) {
    if (from == GgmlType::F32)
        return quantizeRows(to, static_cast<const float *>(src), dst, nrows, ncols, importance, threads, rules);
    const KernelOps &decode = requireOps(from, false);
    const KernelOps &encode = requireOps(to, true);
    const QuantizeRowsFn quantize = quantizerFor(encode, rules);
    checkShape(from, nrows, ncols);
    checkShape(to, nrows, ncols);
    checkImportance(encode, importance);
    const int n = resolveThreads(threads);
    const int64_t inRowBytes = rowSizeBytes(from, ncols);
    const int64_t outRowBytes = rowSizeBytes(to, ncols);
    const int64_t chunk = rowsPerChunk(nrows, ncols, n);
    const int64_t chunks = (nrows + chunk - 1) / chunk;
    const auto *in = static_cast<const uint8_t *>(src);
    auto *out = static_cast<uint8_t *>(dst);
    std::exception_ptr failure;  // see quantizeRows: exceptions must not leave the region
#pragma omp parallel num_threads(n) if (n > 1 && chunks > 1)
    {
        std::vector<float> scratch;
        try {
            scratch.resize(size_t(chunk * ncols));  // at most 64 Ki floats, or one row
        } catch (...) {
#pragma omp critical(qb_quantize_failure)
            if (!failure) failure = std::current_exception();
        }
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < chunks; ++c) {
            if (scratch.empty()) continue;
            const int64_t first = c * chunk;
            const int64_t count = std::min(chunk, nrows - first);
            try {
                for (int64_t r = 0; r < count; ++r)
                    decode.dequantize(in + (first + r) * inRowBytes, scratch.data() + r * ncols, ncols);
                quantize(scratch.data(), out + first * outRowBytes, count, ncols, importance);
            } catch (...) {
#pragma omp critical(qb_quantize_failure)
                if (!failure) failure = std::current_exception();
            }
        }
    }
    if (failure) std::rethrow_exception(failure);
    return size_t(nrows * outRowBytes);
}

size_t quantizeRowsReference(GgmlType type, const float *src, void *dst, int64_t nrows, int64_t ncols,
                             const float *importance, RuleSet rules) {
    const KernelOps &ops = requireOps(type, true);
    checkShape(type, nrows, ncols);
    checkImportance(ops, importance);
    QuantizeRowsFn fn = quantizerFor(ops, rules);
    if (fn == ops.quantize && ops.quantizeReference) fn = ops.quantizeReference;
    return fn(src, dst, nrows, ncols, importance);
}

void dequantizeRows(GgmlType type, const void *src, float *dst, int64_t nrows, int64_t ncols, int threads) {
    const KernelOps &ops = requireOps(type, false);
    checkShape(type, nrows, ncols);
    const int n = resolveThreads(threads);
    const int64_t rowBytes = rowSizeBytes(type, ncols);
    const auto *in = static_cast<const uint8_t *>(src);
#pragma omp parallel for schedule(static) num_threads(n) if (n > 1 && nrows > 1)
    for (int64_t r = 0; r < nrows; ++r) ops.dequantize(in + r * rowBytes, dst + r * ncols, ncols);
}

} // namespace qb
