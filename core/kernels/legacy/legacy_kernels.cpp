// Kernels for Q4_0, Q4_1, Q5_0, Q5_1, Q8_0: the KernelOps table, the decoders and the
// importance-weighted quantizers (llama.cpp's quantize_q4_0 ... quantize_q8_0, b4748).
//
// Without importance data every type is the per-block reference (legacy_reference.cpp),
// or its vectorised twin (legacy_fast.cpp) on the fast path. With importance data Q4_0..Q5_1
// search each block's scale against per-element weights; Q8_0 ignores the weights, as ggml does.
#include "float_convert.h"
#include "kernels/kernel_ops.h"
#include "kernels/legacy/legacy_blocks.h"
#include "kernels/legacy/legacy_fast.h"
#include "kernels/quant_search.h"

#include <cmath>
#include <cstring>

namespace qb {
namespace {

using namespace legacy;

template <typename Block>
Block blockAt(const void *src, int64_t index) {
    Block block;
    std::memcpy(&block, static_cast<const uint8_t *>(src) + index * int64_t(sizeof(Block)), sizeof(Block));
    return block;
}

uint32_t highBitsOf(const uint8_t qh[4]) {
    return uint32_t(qh[0]) | uint32_t(qh[1]) << 8 | uint32_t(qh[2]) << 16 | uint32_t(qh[3]) << 24;
}

// ---- decoders (dequantize_row_q4_0 ... dequantize_row_q8_0): integer quant times fp16 scale,
// plus the fp16 minimum for the _1 types, multiply then add, never fused.

void dequantizeQ4_0(const void *src, float *dst, int64_t n) {
    for (int64_t b = 0; b < n / kBlock; ++b) {
        const auto block = blockAt<BlockQ4_0>(src, b);
        const float d = fp16ToFp32(block.d);
        float *y = dst + b * kBlock;
        for (int j = 0; j < kHalf; ++j) {
            y[j] = float((block.qs[j] & 0x0f) - 8) * d;
            y[j + kHalf] = float((block.qs[j] >> 4) - 8) * d;
        }
    }
}

void dequantizeQ4_1(const void *src, float *dst, int64_t n) {
    for (int64_t b = 0; b < n / kBlock; ++b) {
        const auto block = blockAt<BlockQ4_1>(src, b);
        const float d = fp16ToFp32(block.d);
        const float m = fp16ToFp32(block.m);
        float *y = dst + b * kBlock;
        for (int j = 0; j < kHalf; ++j) {
            y[j] = float(block.qs[j] & 0x0f) * d + m;
            y[j + kHalf] = float(block.qs[j] >> 4) * d + m;
        }
    }
}

void dequantizeQ5_0(const void *src, float *dst, int64_t n) {
    for (int64_t b = 0; b < n / kBlock; ++b) {
        const auto block = blockAt<BlockQ5_0>(src, b);
        const float d = fp16ToFp32(block.d);
        const uint32_t qh = highBitsOf(block.qh);
        float *y = dst + b * kBlock;
        for (int j = 0; j < kHalf; ++j) {
            const int q0 = (block.qs[j] & 0x0f) | int((qh >> j) & 1u) << 4;
            const int q1 = (block.qs[j] >> 4) | int((qh >> (j + kHalf)) & 1u) << 4;
            y[j] = float(q0 - 16) * d;
            y[j + kHalf] = float(q1 - 16) * d;
        }
    }
}

void dequantizeQ5_1(const void *src, float *dst, int64_t n) {
    for (int64_t b = 0; b < n / kBlock; ++b) {
        const auto block = blockAt<BlockQ5_1>(src, b);
        const float d = fp16ToFp32(block.d);
        const float m = fp16ToFp32(block.m);
        const uint32_t qh = highBitsOf(block.qh);
        float *y = dst + b * kBlock;
        for (int j = 0; j < kHalf; ++j) {
            const int q0 = (block.qs[j] & 0x0f) | int((qh >> j) & 1u) << 4;
            const int q1 = (block.qs[j] >> 4) | int((qh >> (j + kHalf)) & 1u) << 4;
            y[j] = float(q0) * d + m;
            y[j + kHalf] = float(q1) * d + m;
        }
    }
}

void dequantizeQ8_0(const void *src, float *dst, int64_t n) {
    for (int64_t b = 0; b < n / kBlock; ++b) {
        const auto block = blockAt<BlockQ8_0>(src, b);
        const float d = fp16ToFp32(block.d);
        float *y = dst + b * kBlock;
        for (int j = 0; j < kBlock; ++j) y[j] = float(block.qs[j]) * d;
    }
}

// ---- importance-weighted rows (quantize_row_q4_0_impl ... quantize_row_q5_1_impl)

// ggml weighs each element by its importance times sqrt(sigma2 + x^2), sigma2 being the
// row's mean square, so large weights in a quiet row still count.
struct RowWeights {
    float sigma2;
    void forBlock(const float *xb, const float *qw, float *weight) const {
        for (int j = 0; j < kBlock; ++j) weight[j] = qw[j] * std::sqrt(sigma2 + xb[j] * xb[j]);
    }
};

RowWeights rowWeights(const float *x, int64_t ncols) {
    float sumSquares = 0.0f;
    for (int64_t j = 0; j < ncols; ++j) sumSquares += x[j] * x[j];
    return RowWeights{sumSquares / float(ncols)};
}

// Levels 0..31 (or 0..15) to the split low nibbles and, for five bits, the high-bit word.
template <typename Level>
void packLowNibbles(const Level *L, uint8_t *qs) {
    for (int j = 0; j < kHalf; ++j) qs[j] = uint8_t((L[j] & 0x0f) | ((L[j + kHalf] & 0x0f) << 4));
}

template <typename Level>
void packFifthBits(const Level *L, uint8_t *qh) {
    uint32_t bits = 0;
    for (int j = 0; j < kBlock; ++j) bits |= uint32_t((L[j] >> 4) & 1) << j;
    for (int k = 0; k < 4; ++k) qh[k] = uint8_t(bits >> (8 * k));
}

template <typename Block>
void storeBlock(void *dst, int64_t index, const Block &block) {
    std::memcpy(static_cast<uint8_t *>(dst) + index * int64_t(sizeof(Block)), &block, sizeof(Block));
}

// Symmetric types: levels -nmax..nmax-1 around zero, one scale per block.
void weightedQ4_0(const float *x, void *y, int64_t ncols, const float *importance) {
    const RowWeights rw = rowWeights(x, ncols);
    float weight[kBlock];
    int8_t L[kBlock];
    for (int64_t b = 0; b < ncols / kBlock; ++b) {
        const float *xb = x + b * kBlock;
        rw.forBlock(xb, importance + b * kBlock, weight);
        BlockQ4_0 block;
        block.d = fp32ToFp16(makeQxQuants(kBlock, 8, xb, L, 1, weight));
        packLowNibbles(L, block.qs);
        storeBlock(y, b, block);
    }
}

void weightedQ5_0(const float *x, void *y, int64_t ncols, const float *importance) {
    const RowWeights rw = rowWeights(x, ncols);
    float weight[kBlock];
    int8_t L[kBlock];
    for (int64_t b = 0; b < ncols / kBlock; ++b) {
        const float *xb = x + b * kBlock;
        rw.forBlock(xb, importance + b * kBlock, weight);
        BlockQ5_0 block;
        block.d = fp32ToFp16(makeQxQuants(kBlock, 16, xb, L, 1, weight));
        packLowNibbles(L, block.qs);
        packFifthBits(L, block.qh);
        storeBlock(y, b, block);
    }
}

// Asymmetric types: levels 0..nmax above a per-block minimum, both searched together.
// ggml's search parameters for these types: rmin -0.9, rdelta 0.05, 36 steps, no MAD.
float searchWithMin(int nmax, const float *xb, const float *weight, uint8_t *L, float &minimum) {
    uint8_t scratch[kBlock];
    float negMin = 0.0f;
    const float d = makeQkx3Quants(kBlock, nmax, xb, weight, L, &negMin, scratch, -0.9f, 0.05f, 36, false);
    minimum = -negMin;
    return d;
}

void weightedQ4_1(const float *x, void *y, int64_t ncols, const float *importance) {
    const RowWeights rw = rowWeights(x, ncols);
    float weight[kBlock];
    uint8_t L[kBlock];
    for (int64_t b = 0; b < ncols / kBlock; ++b) {
        const float *xb = x + b * kBlock;
        rw.forBlock(xb, importance + b * kBlock, weight);
        float minimum;
        BlockQ4_1 block;
        block.d = fp32ToFp16(searchWithMin(15, xb, weight, L, minimum));
        block.m = fp32ToFp16(minimum);
        packLowNibbles(L, block.qs);
        storeBlock(y, b, block);
    }
}

void weightedQ5_1(const float *x, void *y, int64_t ncols, const float *importance) {
    const RowWeights rw = rowWeights(x, ncols);
    float weight[kBlock];
    uint8_t L[kBlock];
    for (int64_t b = 0; b < ncols / kBlock; ++b) {
        const float *xb = x + b * kBlock;
        rw.forBlock(xb, importance + b * kBlock, weight);
        float minimum;
        BlockQ5_1 block;
        block.d = fp32ToFp16(searchWithMin(31, xb, weight, L, minimum));
        block.m = fp32ToFp16(minimum);
        packLowNibbles(L, block.qs);
        packFifthBits(L, block.qh);
        storeBlock(y, b, block);
    }
}

// ---- row entry points

using BlockFn = void (*)(const float *src, void *dst, int64_t blocks);
using WeightedRowFn = void (*)(const float *x, void *y, int64_t ncols, const float *weights);

// Blocks never straddle rows, so without weights a whole tensor is one run of blocks.
// With weights each row is quantized on its own (its variance scales the weights).
template <typename Block, BlockFn Blocks, WeightedRowFn Weighted>
size_t quantizeRowsWith(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    const int64_t rowBytes = ncols / kBlock * int64_t(sizeof(Block));
    if constexpr (Weighted != nullptr) {
        if (importance) {
            auto *out = static_cast<uint8_t *>(dst);
            for (int64_t r = 0; r < nrows; ++r) Weighted(src + r * ncols, out + r * rowBytes, ncols, importance);
            return size_t(nrows * rowBytes);
        }
    }
    Blocks(src, dst, nrows * (ncols / kBlock));
    return size_t(nrows * rowBytes);
}

constexpr KernelOps kQ4_0{GgmlType::Q4_0, quantizeRowsWith<BlockQ4_0, quantizeQ4_0Fast, weightedQ4_0>,
                          quantizeRowsWith<BlockQ4_0, quantizeQ4_0Reference, weightedQ4_0>, dequantizeQ4_0, false};
constexpr KernelOps kQ4_1{GgmlType::Q4_1, quantizeRowsWith<BlockQ4_1, quantizeQ4_1Fast, weightedQ4_1>,
                          quantizeRowsWith<BlockQ4_1, quantizeQ4_1Reference, weightedQ4_1>, dequantizeQ4_1, false};
constexpr KernelOps kQ5_0{GgmlType::Q5_0, quantizeRowsWith<BlockQ5_0, quantizeQ5_0Fast, weightedQ5_0>,
                          quantizeRowsWith<BlockQ5_0, quantizeQ5_0Reference, weightedQ5_0>, dequantizeQ5_0, false};
constexpr KernelOps kQ5_1{GgmlType::Q5_1, quantizeRowsWith<BlockQ5_1, quantizeQ5_1Fast, weightedQ5_1>,
                          quantizeRowsWith<BlockQ5_1, quantizeQ5_1Reference, weightedQ5_1>, dequantizeQ5_1, false};
constexpr KernelOps kQ8_0{GgmlType::Q8_0, quantizeRowsWith<BlockQ8_0, quantizeQ8_0Fast, nullptr>,
                          quantizeRowsWith<BlockQ8_0, quantizeQ8_0Reference, nullptr>, dequantizeQ8_0, false};

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
