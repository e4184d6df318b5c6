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

} // namespace

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

} // namespace qb::legacy
