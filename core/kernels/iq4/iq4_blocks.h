// Block layouts of IQ4_NL and IQ4_XS (ggml-common.h), their 16 non-linear levels, and the
// entry points of the family's kernels (iq4_kernels.cpp registers them).
//
// Contract: the structs are byte-for-byte ggml's blocks (little-endian, no padding); every
// quantize function writes nrows * rowSizeBytes(type, ncols) bytes and returns that count;
// ncols is a whole number of blocks (kernels.cpp checks it). importance is ncols weights or null;
// with none, weights default to x^2 as in llama.cpp.
#pragma once

#include "kernels/kernel_ops.h"
#include "kernels/quant_search.h"

#include <cstddef>
#include <cstdint>

namespace qb::iq4 {

inline constexpr int kSuperBlock = 256; // QK_K
inline constexpr int kIq4nlBlock = 32;  // QK4_NL

// The 16 non-linear levels of IQ4_NL / IQ4_XS, ascending (ggml's kvalues_iq4nl).
inline constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

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

QuantizeRows quantizeIq4Nl, quantizeIq4Xs;
// The same algorithms in plain scalar code (the fast ones compare levels four weights at a time);
// the tests check both give the same bytes.
QuantizeRows quantizeIq4NlReference, quantizeIq4XsReference;

// L[j] = index of the IQ4 level nearest to scale * x[j] (ggml best_index_int8, b4748 tie rule) for
// j < n; fast picks the table lookup the quantizers use, else the plain search. Exposed for tests.
void iq4Levels(const float *x, float scale, int n, uint8_t *L, bool fast);

Dequantize dequantizeIq4Nl, dequantizeIq4Xs;

} // namespace qb::iq4
