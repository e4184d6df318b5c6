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

// Q4_0, Q4_1, Q5_0 and Q5_1 differ only in constants read off the block layout: a minimum (the _1
// types, levels 0..2^bits-1 above it) or a scale alone (the _0 types, levels around zero with the
// extreme value at -2^(bits-1)), four or five bits per level.
template <typename Block>
void quantizeBlocksReference(const float *src, void *dst, int64_t blocks) {
    constexpr bool kHasMin = requires(Block block) { block.m; };
    constexpr bool kHasFifthBit = requires(Block block) { block.qh; };
    constexpr int kLevels = kHasFifthBit ? 32 : 16;
    // ggml clamps to the top level except for Q5_1, which it casts straight to uint8_t.
    constexpr bool kClamped = !(kHasMin && kHasFifthBit);
    for (int64_t b = 0; b < blocks; ++b) {
        const float *x = src + b * kBlock;
        float lo = 0.0f;
        float d;
        if constexpr (kHasMin) {
            float hi;
            minMax(x, lo, hi);
            d = (hi - lo) / (kLevels - 1);
        } else {
            // The extreme value maps to the lowest level, the one that has no positive twin.
            d = signedExtreme(x) / -(kLevels / 2);
        }
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        uint8_t q[kBlock];
        for (int j = 0; j < kBlock; ++j) {
            int32_t level;
            if constexpr (kHasMin)
                level = truncToInt32((x[j] - lo) * id + 0.5f);
            else
                level = truncToInt32(x[j] * id + (float(kLevels / 2) + 0.5f));
            q[j] = kClamped ? lowByte(std::min(kLevels - 1, lowByteSigned(level))) : lowByte(level);
        }
        Block block;
        block.d = fp32ToFp16(d);
        if constexpr (kHasMin) block.m = fp32ToFp16(lo);
        // Four-bit levels are packed as ggml packs them, unmasked; five-bit ones lose their fifth bit.
        for (int j = 0; j < kHalf; ++j) {
            if constexpr (kHasFifthBit)
                block.qs[j] = uint8_t((q[j] & 0x0f) | ((q[j + kHalf] & 0x0f) << 4));
            else
                block.qs[j] = uint8_t(q[j] | (q[j + kHalf] << 4));
        }
        if constexpr (kHasFifthBit) packHighBits(q, block.qh);
        storeBlock(dst, b, block);
    }
}

} // namespace

void quantizeQ4_0Reference(const float *src, void *dst, int64_t blocks) {
    quantizeBlocksReference<BlockQ4_0>(src, dst, blocks);
}

void quantizeQ4_1Reference(const float *src, void *dst, int64_t blocks) {
    quantizeBlocksReference<BlockQ4_1>(src, dst, blocks);
}

void quantizeQ5_0Reference(const float *src, void *dst, int64_t blocks) {
    quantizeBlocksReference<BlockQ5_0>(src, dst, blocks);
}

void quantizeQ5_1Reference(const float *src, void *dst, int64_t blocks) {
    quantizeBlocksReference<BlockQ5_1>(src, dst, blocks);
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
