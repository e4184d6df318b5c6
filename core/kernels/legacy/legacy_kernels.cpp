// The KernelOps table of the legacy family (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) and its row entry
// points (llama.cpp's quantize_q4_0 ... quantize_q8_0, b4748).
//
// Without importance data every type is the per-block reference (legacy_reference.cpp),
// or its vectorised twin (legacy_fast.cpp) on the fast path. With importance data Q4_0..Q5_1
// search each block's scale against per-element weights (legacy_weighted.cpp); Q8_0 ignores the
// weights, as ggml does. The decoders live in legacy_dequantize.cpp.
#include "kernels/kernel_ops.h"
#include "kernels/legacy/legacy_blocks.h"
#include "kernels/legacy/legacy_fast.h"

namespace qb {
namespace {

using namespace legacy;

// ---- row entry points

using BlockFn = void (*)(const float *src, void *dst, int64_t blocks);
using WeightedRowFn = void (*)(const float *x, void *y, int64_t ncols, const float *weights);

// Blocks never straddle rows, so without weights a whole tensor is one run of blocks.
// With weights each row is quantized on its own (its variance scales the weights).
// kWeighted is spelled out rather than tested as `Weighted != nullptr`: gcc does not treat a
// function address comparison as a constant expression under -fsanitize=undefined.
template <typename Block, BlockFn Blocks, WeightedRowFn Weighted, bool kWeighted = true>
size_t quantizeRowsWith(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    const int64_t rowBytes = ncols / kBlock * int64_t(sizeof(Block));
    if constexpr (kWeighted) {
        if (importance) {
            auto *out = static_cast<uint8_t *>(dst);
            for (int64_t r = 0; r < nrows; ++r) Weighted(src + r * ncols, out + r * rowBytes, ncols, importance);
            return size_t(nrows * rowBytes);
        }
    }
    Blocks(src, dst, nrows * (ncols / kBlock));
    return size_t(nrows * rowBytes);
}

constexpr KernelOps kQ4_0{GgmlType::Q4_0, quantizeRowsWith<BlockQ4_0, quantizeQ4_0Fast, quantizeRowWeighted<BlockQ4_0>>,
                          quantizeRowsWith<BlockQ4_0, quantizeQ4_0Reference, quantizeRowWeighted<BlockQ4_0>>,
                          dequantizeQ4_0, false};
constexpr KernelOps kQ4_1{GgmlType::Q4_1, quantizeRowsWith<BlockQ4_1, quantizeQ4_1Fast, quantizeRowWeighted<BlockQ4_1>>,
                          quantizeRowsWith<BlockQ4_1, quantizeQ4_1Reference, quantizeRowWeighted<BlockQ4_1>>,
                          dequantizeQ4_1, false};
constexpr KernelOps kQ5_0{GgmlType::Q5_0, quantizeRowsWith<BlockQ5_0, quantizeQ5_0Fast, quantizeRowWeighted<BlockQ5_0>>,
                          quantizeRowsWith<BlockQ5_0, quantizeQ5_0Reference, quantizeRowWeighted<BlockQ5_0>>,
                          dequantizeQ5_0, false};
constexpr KernelOps kQ5_1{GgmlType::Q5_1, quantizeRowsWith<BlockQ5_1, quantizeQ5_1Fast, quantizeRowWeighted<BlockQ5_1>>,
                          quantizeRowsWith<BlockQ5_1, quantizeQ5_1Reference, quantizeRowWeighted<BlockQ5_1>>,
                          dequantizeQ5_1, false};
constexpr KernelOps kQ8_0{GgmlType::Q8_0, quantizeRowsWith<BlockQ8_0, quantizeQ8_0Fast, nullptr, false>,
                          quantizeRowsWith<BlockQ8_0, quantizeQ8_0Reference, nullptr, false>, dequantizeQ8_0, false};

} // namespace

const KernelOps *legacyKernelOps(GgmlType type) {
    switch (type) {
    case GgmlType::Q4_0: return &kQ4_0;
    case GgmlType::Q4_1: return &kQ4_1;
    case GgmlType::Q5_0: return &kQ5_0;
    case GgmlType::Q5_1: return &kQ5_1;
    case GgmlType::Q8_0: return &kQ8_0;
    default: return nullptr;
    }
}

} // namespace qb
