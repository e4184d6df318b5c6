// Plain scalar quantizers for the legacy types, in llama.cpp's operation order
// (quantize_row_q4_0_ref and friends in ggml-quants.c, build b4748). Each element's arithmetic
// is written as ggml writes it so the fast paths have a fixed target to match bit for bit.
#include "float_convert.h"
#include "kernels/legacy/legacy_blocks.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

namespace qb::legacy {
namespace {

template <typename Block>
void storeBlock(void *dst, int64_t index, const Block &block) {
    std::memcpy(static_cast<uint8_t *>(dst) + index * int64_t(sizeof(Block)), &block, sizeof(Block));
}

// The value of largest magnitude, keeping the first one on ties (ggml updates only on a
// strictly larger magnitude, so +a before -a keeps +a). Zero when every element is zero.
float signedExtreme(const float *x) {
    float amax = 0.0f;
    float extreme = 0.0f;
    for (int j = 0; j < kBlock; ++j) {
        if (amax < std::fabs(x[j])) {
            amax = std::fabs(x[j]);
            extreme = x[j];
        }
    }
    return extreme;
}

// Minimum and maximum as ggml finds them: NaN never compares, so it never wins.
void minMax(const float *x, float &lo, float &hi) {
    lo = FLT_MAX;
    hi = -FLT_MAX;
    for (int j = 0; j < kBlock; ++j) {
        if (x[j] < lo) lo = x[j];
        if (x[j] > hi) hi = x[j];
    }
}

// The fifth bits of 32 five-bit quants, element j at bit j, as a little-endian word.
void packHighBits(const uint8_t *q, uint8_t qh[4]) {
    uint32_t bits = 0;
    for (int j = 0; j < kBlock; ++j) bits |= uint32_t((q[j] >> 4) & 1u) << j;
    for (int k = 0; k < 4; ++k) qh[k] = uint8_t(bits >> (8 * k));
}

} // namespace

void quantizeQ4_0Reference(const float *src, void *dst, int64_t blocks) {
    for (int64_t b = 0; b < blocks; ++b) {
        const float *x = src + b * kBlock;
        // The extreme value maps to -8, the one level that has no positive twin.
        const float d = signedExtreme(x) / -8;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        BlockQ4_0 block;
        block.d = fp32ToFp16(d);
        for (int j = 0; j < kHalf; ++j) {
            const float x0 = x[j] * id;
            const float x1 = x[j + kHalf] * id;
            const uint8_t q0 = lowByte(std::min(15, lowByteSigned(truncToInt32(x0 + 8.5f))));
            const uint8_t q1 = lowByte(std::min(15, lowByteSigned(truncToInt32(x1 + 8.5f))));
            block.qs[j] = uint8_t(q0 | (q1 << 4));
        }
        storeBlock(dst, b, block);
    }
}

void quantizeQ4_1Reference(const float *src, void *dst, int64_t blocks) {
    for (int64_t b = 0; b < blocks; ++b) {
        const float *x = src + b * kBlock;
        float lo, hi;
        minMax(x, lo, hi);
        const float d = (hi - lo) / 15;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        BlockQ4_1 block;
        block.d = fp32ToFp16(d);
        block.m = fp32ToFp16(lo);
        for (int j = 0; j < kHalf; ++j) {
            const float x0 = (x[j] - lo) * id;
            const float x1 = (x[j + kHalf] - lo) * id;
            const uint8_t q0 = lowByte(std::min(15, lowByteSigned(truncToInt32(x0 + 0.5f))));
            const uint8_t q1 = lowByte(std::min(15, lowByteSigned(truncToInt32(x1 + 0.5f))));
            block.qs[j] = uint8_t(q0 | (q1 << 4));
        }
        storeBlock(dst, b, block);
    }
}

void quantizeQ5_0Reference(const float *src, void *dst, int64_t blocks) {
    for (int64_t b = 0; b < blocks; ++b) {
        const float *x = src + b * kBlock;
        const float d = signedExtreme(x) / -16;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        uint8_t q[kBlock];
        for (int j = 0; j < kBlock; ++j) {
            const float xs = x[j] * id;
            q[j] = lowByte(std::min(31, lowByteSigned(truncToInt32(xs + 16.5f))));
        }
        BlockQ5_0 block;
        block.d = fp32ToFp16(d);
        for (int j = 0; j < kHalf; ++j) block.qs[j] = uint8_t((q[j] & 0x0f) | ((q[j + kHalf] & 0x0f) << 4));
        packHighBits(q, block.qh);
        storeBlock(dst, b, block);
    }
}

void quantizeQ5_1Reference(const float *src, void *dst, int64_t blocks) {
    for (int64_t b = 0; b < blocks; ++b) {
        const float *x = src + b * kBlock;
        float lo, hi;
        minMax(x, lo, hi);
        const float d = (hi - lo) / 31;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        uint8_t q[kBlock];
        // No clamp here, unlike Q4_1: ggml casts straight to uint8_t.
        for (int j = 0; j < kBlock; ++j) {
            const float xs = (x[j] - lo) * id;
            q[j] = lowByte(truncToInt32(xs + 0.5f));
        }
        BlockQ5_1 block;
        block.d = fp32ToFp16(d);
        block.m = fp32ToFp16(lo);
        for (int j = 0; j < kHalf; ++j) block.qs[j] = uint8_t((q[j] & 0x0f) | ((q[j + kHalf] & 0x0f) << 4));
        packHighBits(q, block.qh);
        storeBlock(dst, b, block);
    }
}

void quantizeQ8_0Reference(const float *src, void *dst, int64_t blocks) {
    for (int64_t b = 0; b < blocks; ++b) {
        const float *x = src + b * kBlock;
        // ggml's MAX(amax, |v|) keeps |v| unless amax is strictly larger: a NaN resets it.
        float amax = 0.0f;
        for (int j = 0; j < kBlock; ++j) {
            const float a = std::fabs(x[j]);
            amax = amax > a ? amax : a;
        }
        const float d = amax / 127;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        BlockQ8_0 block;
        block.d = fp32ToFp16(d);
        for (int j = 0; j < kBlock; ++j) block.qs[j] = int8_t(lowByteSigned(truncToInt32(std::round(x[j] * id))));
        storeBlock(dst, b, block);
    }
}

} // namespace qb::legacy
