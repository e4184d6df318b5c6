// Kernels for Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K.
//
// Mirrors ggml's quantize_qX_K(src, dst, nrow, n_per_row, quant_weights): without importance
// the whole span goes through quantize_row_qX_K_ref; with importance each row goes through
// quantize_row_qX_K_impl with the same n_per_row weights.
#include "kernels/kernel_ops.h"
#include "kernels/kquant/kquant_blocks.h"
#include "kernels/kquant/kquant_fast.h"

namespace qb {
namespace {

using namespace kquant;

template <typename Block, void (*Ref)(const float *, Block *, int64_t),
          void (*WithImportance)(const float *, Block *, int64_t, const float *)>
size_t quantizeRowsWith(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    const int64_t blocksPerRow = ncols / QK_K;
    auto *out = static_cast<Block *>(dst);
    if (!importance) {
        Ref(src, out, nrows * ncols);
    } else {
        for (int64_t r = 0; r < nrows; ++r) WithImportance(src + r * ncols, out + r * blocksPerRow, ncols, importance);
    }
    return size_t(nrows * blocksPerRow) * sizeof(Block);
}

// Q8_K has no importance variant in ggml (it is the activation format of the dot products).
size_t quantizeRowsQ8K(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *) {
    quantizeQ8KRef(src, static_cast<BlockQ8K *>(dst), nrows * ncols);
    return size_t(nrows * (ncols / QK_K)) * sizeof(BlockQ8K);
}

constexpr KernelOps kOps[] = {
    {GgmlType::Q2_K, quantizeRowsWith<BlockQ2K, quantizeQ2KFast, quantizeQ2KImportanceFast>,
     quantizeRowsWith<BlockQ2K, quantizeQ2KRef, quantizeQ2KImportance>, dequantizeQ2K, false},
    {GgmlType::Q3_K, quantizeRowsWith<BlockQ3K, quantizeQ3KFast, quantizeQ3KImportanceFast>,
     quantizeRowsWith<BlockQ3K, quantizeQ3KRef, quantizeQ3KImportance>, dequantizeQ3K, false},
    {GgmlType::Q4_K, quantizeRowsWith<BlockQ4K, quantizeQ4KFast, quantizeQ4KImportanceFast>,
     quantizeRowsWith<BlockQ4K, quantizeQ4KRef, quantizeQ4KImportance>, dequantizeQ4K, false},
    {GgmlType::Q5_K, quantizeRowsWith<BlockQ5K, quantizeQ5KFast, quantizeQ5KImportanceFast>,
     quantizeRowsWith<BlockQ5K, quantizeQ5KRef, quantizeQ5KImportance>, dequantizeQ5K, false},
    {GgmlType::Q6_K, quantizeRowsWith<BlockQ6K, quantizeQ6KFast, quantizeQ6KImportanceFast>,
     quantizeRowsWith<BlockQ6K, quantizeQ6KRef, quantizeQ6KImportance>, dequantizeQ6K, false},
    {GgmlType::Q8_K, quantizeRowsQ8K, nullptr, dequantizeQ8K, false},
};

} // namespace

const KernelOps *kquantKernelOps(GgmlType type) { return findKernelOps(kOps, type); }

} // namespace qb
