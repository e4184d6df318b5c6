// Importance-weighted rows of Q4_0, Q4_1, Q5_0 and Q5_1 (llama.cpp b4748's
// quantize_row_q4_0_impl ... quantize_row_q5_1_impl): one template, since the four differ only in
// constants read off the block layout: a minimum (the _1 types) or a scale alone (the _0 types),
// four or five bits per level.
#include "float_convert.h"
#include "kernels/legacy/legacy_blocks.h"
#include "kernels/quant_search.h"

#include <cmath>
#include <cstring>
#include <type_traits>

namespace qb::legacy {
namespace {

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

// Asymmetric types: levels 0..nmax above a per-block minimum, both searched together.
// ggml's search parameters for these types: rmin -0.9, rdelta 0.05, 36 steps, no MAD.
float searchWithMin(int nmax, const float *xb, const float *weight, uint8_t *L, float &minimum) {
    uint8_t scratch[kBlock];
    float negMin = 0.0f;
    const float d = makeQkx3Quants(kBlock, nmax, xb, weight, L, &negMin, scratch, -0.9f, 0.05f, 36, false);
    minimum = -negMin;
    return d;
}

} // namespace

template <typename Block>
void quantizeRowWeighted(const float *x, void *y, int64_t ncols, const float *importance) {
    constexpr bool kHasMin = requires(Block block) { block.m; };
    constexpr bool kHasFifthBit = requires(Block block) { block.qh; };
    // Symmetric types search levels -nmax..nmax-1 around zero (nmax 8 or 16); asymmetric ones
    // 0..nmax above the minimum (nmax 15 or 31).
    constexpr int kBits = kHasFifthBit ? 5 : 4;
    constexpr int kMaxLevel = kHasMin ? (1 << kBits) - 1 : 1 << (kBits - 1);
    using Level = std::conditional_t<kHasMin, uint8_t, int8_t>;

    const RowWeights rw = rowWeights(x, ncols);
    float weight[kBlock];
    Level L[kBlock];
    for (int64_t b = 0; b < ncols / kBlock; ++b) {
        const float *xb = x + b * kBlock;
        rw.forBlock(xb, importance + b * kBlock, weight);
        Block block;
        if constexpr (kHasMin) {
            float minimum;
            block.d = fp32ToFp16(searchWithMin(kMaxLevel, xb, weight, L, minimum));
            block.m = fp32ToFp16(minimum);
        } else {
            block.d = fp32ToFp16(makeQxQuants(kBlock, kMaxLevel, xb, L, 1, weight));
        }
        packLowNibbles(L, block.qs);
        if constexpr (kHasFifthBit) packFifthBits(L, block.qh);
        std::memcpy(static_cast<uint8_t *>(y) + b * int64_t(sizeof(Block)), &block, sizeof(Block));
    }
}

template void quantizeRowWeighted<BlockQ4_0>(const float *, void *, int64_t, const float *);
template void quantizeRowWeighted<BlockQ4_1>(const float *, void *, int64_t, const float *);
template void quantizeRowWeighted<BlockQ5_0>(const float *, void *, int64_t, const float *);
template void quantizeRowWeighted<BlockQ5_1>(const float *, void *, int64_t, const float *);

} // namespace qb::legacy
