// Block layouts of IQ3_XXS, IQ3_S, IQ4_NL and IQ4_XS (ggml-common.h) and the entry points of the
// family's kernels, shared between its source files (kernels_iq3.cpp registers them).
//
// Contract: the structs are byte-for-byte ggml's blocks (little-endian, no padding); every
// quantize function writes nrows * rowSizeBytes(type, ncols) bytes and returns that count;
// ncols is a whole number of blocks (kernels.cpp checks it). importance is ncols weights or null.
#pragma once

#include "kernels/quant_search.h"

#include <bit>
#include <cstddef>
#include <cstdint>

namespace qb::iq3 {

inline constexpr int kSuperBlock = 256; // QK_K
inline constexpr int kIq4nlBlock = 32;  // QK4_NL

// 256 weights: per group of 32, eight 1-byte grid indices (4 magnitudes each), then per group a
// uint32 of 4 x 7 sign bits and a 4-bit scale in the top bits.
struct BlockIq3Xxs {
    uint16_t d;
    uint8_t qs[3 * kSuperBlock / 8];
};
static_assert(sizeof(BlockIq3Xxs) == 98, "IQ3_XXS block must be 98 bytes");

// 256 weights: 9-bit grid indices (low 8 bits in qs, the 9th in qh), 8 explicit signs per
// 8 weights, and a 4-bit scale per group of 32 (two per byte).
struct BlockIq3S {
    uint16_t d;
    uint8_t qs[kSuperBlock / 4];
    uint8_t qh[kSuperBlock / 32];
    uint8_t signs[kSuperBlock / 8];
    uint8_t scales[kSuperBlock / 64];
};
static_assert(sizeof(BlockIq3S) == 110, "IQ3_S block must be 110 bytes");

// 32 weights as 4-bit indices into the non-linear levels; byte j holds weights j and j + 16.
struct BlockIq4Nl {
    uint16_t d;
    uint8_t qs[kIq4nlBlock / 2];
};
static_assert(sizeof(BlockIq4Nl) == 18, "IQ4_NL block must be 18 bytes");

// 256 weights in 8 groups of 32 with a 6-bit signed scale each (low 4 bits in scalesL, high 2 in scalesH).
struct BlockIq4Xs {
    uint16_t d;
    uint16_t scalesH;
    uint8_t scalesL[kSuperBlock / 64];
    uint8_t qs[kSuperBlock / 2];
};
static_assert(sizeof(BlockIq4Xs) == 136, "IQ4_XS block must be 136 bytes");

size_t quantizeIq3Xxs(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
size_t quantizeIq3S(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
// The same algorithms in plain scalar code (the fast ones run independent candidates or weights
// four to a SIMD instruction); the tests check both give the same bytes.
size_t quantizeIq3XxsReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
size_t quantizeIq3SReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
size_t quantizeIq4NlReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
size_t quantizeIq4XsReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
size_t quantizeIq4Nl(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
size_t quantizeIq4Xs(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);

// L[j] = index of the IQ4 level nearest to scale * x[j] (ggml best_index_int8, b4748 tie rule) for
// j < n, n a multiple of 4; simd picks the vectorised or the scalar form. Exposed for tests.
void iq4Levels(const float *x, float scale, int n, uint8_t *L, bool simd);

void dequantizeIq3Xxs(const void *src, float *dst, int64_t n);
void dequantizeIq3S(const void *src, float *dst, int64_t n);
void dequantizeIq4Nl(const void *src, float *dst, int64_t n);
void dequantizeIq4Xs(const void *src, float *dst, int64_t n);

} // namespace qb::iq3
