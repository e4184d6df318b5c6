// Decoders of the legacy family (dequantize_row_q4_0 ... dequantize_row_q8_0, llama.cpp b4748).
#include "float_convert.h"
#include "kernels/legacy/legacy_blocks.h"

#include <cstring>

namespace qb::legacy {
namespace {

template <typename Block>
Block blockAt(const void *src, int64_t index) {
    Block block;
    std::memcpy(&block, static_cast<const uint8_t *>(src) + index * int64_t(sizeof(Block)), sizeof(Block));
    return block;
}

uint32_t highBitsOf(const uint8_t qh[4]) {
    return uint32_t(qh[0]) | uint32_t(qh[1]) << 8 | uint32_t(qh[2]) << 16 | uint32_t(qh[3]) << 24;
}

// Q4_0, Q4_1, Q5_0 and Q5_1 decode alike but for constants read off the block layout: the _1
// types add their minimum, the _0 types centre the levels on zero; five-bit types take the
// fifth bit of element j from bit j of qh.
template <typename Block>
void dequantizeBlocks(const void *src, float *dst, int64_t n) {
    constexpr bool kHasMin = requires(Block block) { block.m; };
    constexpr bool kHasFifthBit = requires(Block block) { block.qh; };
    constexpr int kZero = kHasMin ? 0 : kHasFifthBit ? 16 : 8;  // the level that decodes to zero
    for (int64_t b = 0; b < n / kBlock; ++b) {
        const auto block = blockAt<Block>(src, b);
        const float d = fp16ToFp32(block.d);
        float m = 0.0f;
        if constexpr (kHasMin) m = fp16ToFp32(block.m);
        uint32_t qh = 0;
        if constexpr (kHasFifthBit) qh = highBitsOf(block.qh);
        float *y = dst + b * kBlock;
        for (int j = 0; j < kHalf; ++j) {
            int q0 = block.qs[j] & 0x0f;
            int q1 = block.qs[j] >> 4;
            if constexpr (kHasFifthBit) {
                q0 |= int((qh >> j) & 1u) << 4;
                q1 |= int((qh >> (j + kHalf)) & 1u) << 4;
            }
            if constexpr (kHasMin) {
                y[j] = float(q0) * d + m;
                y[j + kHalf] = float(q1) * d + m;
            } else {
                y[j] = float(q0 - kZero) * d;
                y[j + kHalf] = float(q1 - kZero) * d;
            }
        }
    }
}

} // namespace

void dequantizeQ4_0(const void *src, float *dst, int64_t n) { dequantizeBlocks<BlockQ4_0>(src, dst, n); }
void dequantizeQ4_1(const void *src, float *dst, int64_t n) { dequantizeBlocks<BlockQ4_1>(src, dst, n); }
void dequantizeQ5_0(const void *src, float *dst, int64_t n) { dequantizeBlocks<BlockQ5_0>(src, dst, n); }
void dequantizeQ5_1(const void *src, float *dst, int64_t n) { dequantizeBlocks<BlockQ5_1>(src, dst, n); }

void dequantizeQ8_0(const void *src, float *dst, int64_t n) {
    for (int64_t b = 0; b < n / kBlock; ++b) {
        const auto block = blockAt<BlockQ8_0>(src, b);
        const float d = fp16ToFp32(block.d);
        float *y = dst + b * kBlock;
        for (int j = 0; j < kBlock; ++j) y[j] = float(block.qs[j]) * d;
    }
}

} // namespace qb::legacy
