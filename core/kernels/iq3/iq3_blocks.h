// Block layouts of IQ3_XXS and IQ3_S (ggml-common.h) and the entry points of the family's
// kernels, shared between its source files (iq3_kernels.cpp registers them).
//
// Contract: the structs are byte-for-byte ggml's blocks (little-endian, no padding); every
// quantize function writes nrows * rowSizeBytes(type, ncols) bytes and returns that count;
// ncols is a whole number of blocks (kernels.cpp checks it). importance is ncols weights or null.
#pragma once

#include "kernels/kernel_ops.h"
#include "kernels/quant_search.h"

#include <bit>
#include <cstddef>
#include <cstdint>

namespace qb::iq3 {

inline constexpr int kSuperBlock = 256; // QK_K

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

QuantizeRows quantizeIq3Xxs, quantizeIq3S;
// The same algorithms in plain scalar code (the fast ones run scale trials four to an SSE2 lane, or
// eight to an AVX2 lane and grid neighbours eight to an AVX2 instruction when the CPU has AVX2); the
// tests check both give the same bytes.
QuantizeRows quantizeIq3XxsReference, quantizeIq3SReference;
// The fast forms without their AVX2 parts, what a CPU without AVX2 runs (for the tests, which
// check all three forms give the same bytes whatever CPU they run on).
QuantizeRows quantizeIq3XxsSse2, quantizeIq3SSse2;

Dequantize dequantizeIq3Xxs, dequantizeIq3S;

} // namespace qb::iq3
