// Kernels for Q4_0, Q4_1, Q5_0, Q5_1, Q8_0: the KernelOps table, the decoders and the
// importance-weighted quantizers (llama.cpp's quantize_q4_0 ... quantize_q8_0, b4748).
//
// Without importance data every type is the per-block reference (legacy_reference.cpp),
// or its vectorised twin (legacy_fast.cpp) on the fast path. With importance data Q4_0..Q5_1
// search each block's scale against per-element weights; Q8_0 ignores the weights, as ggml does.
#include "error.h"
#include "float_convert.h"
#include "kernels/kernel_ops.h"
#include "kernels/legacy_blocks.h"
#include "kernels/legacy_fast.h"

#include <cstring>
#include <string>

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

// ---- importance-weighted rows

[[noreturn]] void weightedUnavailable(GgmlType type, const float *, void *, int64_t, const float *) {
    throw Error(std::string("importance-weighted ") + typeName(type) + " quantization is not available yet");
}
void weightedQ4_0(const float *x, void *y, int64_t n, const float *w) { weightedUnavailable(GgmlType::Q4_0, x, y, n, w); }
void weightedQ4_1(const float *x, void *y, int64_t n, const float *w) { weightedUnavailable(GgmlType::Q4_1, x, y, n, w); }
void weightedQ5_0(const float *x, void *y, int64_t n, const float *w) { weightedUnavailable(GgmlType::Q5_0, x, y, n, w); }
void weightedQ5_1(const float *x, void *y, int64_t n, const float *w) { weightedUnavailable(GgmlType::Q5_1, x, y, n, w); }

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
