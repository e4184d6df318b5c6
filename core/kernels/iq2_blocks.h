// Block layouts of IQ2_XXS, IQ2_XS, IQ2_S, IQ1_S and IQ1_M (ggml-common.h), and the row
// kernels of this family.
//
// Contract: the structs are byte-for-byte ggml's blocks (little-endian, no padding); kernels
// copy them in and out with memcpy, so callers' buffers need no alignment. Every quantizer
// requires importance weights (ncols of them) and finite data, and throws qb::Error otherwise;
// they reproduce llama.cpp b4748's quantize_iq2_xxs / _iq2_xs / _iq2_s / _iq1_s / _iq1_m bit
// for bit.
#pragma once

#include "ggml_types.h"

#include <cstddef>
#include <cstdint>

namespace qb::iq2 {

struct BlockIq2xxs {
    uint16_t d;                   // fp16 super-block scale
    uint16_t qs[QK_K / 8];        // per 32: 4 grid bytes, then 4x7 sign bits and a 4-bit scale
};
struct BlockIq2xs {
    uint16_t d;
    uint16_t qs[QK_K / 8];        // 9-bit grid index | 7 sign bits << 9, per 8 elements
    uint8_t scales[QK_K / 32];    // two 4-bit scales per 32 elements
};
struct BlockIq2s {
    uint16_t d;
    uint8_t qs[QK_K / 4];         // 32 low grid bytes, then 32 sign bytes
    uint8_t qh[QK_K / 32];        // high 2 bits of four grid indices
    uint8_t scales[QK_K / 32];
};
struct BlockIq1s {
    uint16_t d;
    uint8_t qs[QK_K / 8];         // low 8 bits of 11-bit grid indices
    uint16_t qh[QK_K / 32];       // 4x3 high index bits, 3-bit scale, delta sign
};
struct BlockIq1m {
    uint8_t qs[QK_K / 8];
    uint8_t qh[QK_K / 16];        // 2x(3 high index bits + delta sign)
    uint8_t scales[QK_K / 32];    // 16 3-bit scales with the fp16 scale spread over the top nibbles
};

static_assert(sizeof(BlockIq2xxs) == 66);
static_assert(sizeof(BlockIq2xs) == 74);
static_assert(sizeof(BlockIq2s) == 82);
static_assert(sizeof(BlockIq1s) == 50);
static_assert(sizeof(BlockIq1m) == 56);

size_t quantizeIq2xxs(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
size_t quantizeIq2xs(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
size_t quantizeIq2s(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
size_t quantizeIq1s(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
size_t quantizeIq1m(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);

// The plain scalar forms of the same algorithms (ggml's loops as written), for the reference path.
size_t quantizeIq2xxsReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
size_t quantizeIq2xsReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
size_t quantizeIq2sReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
size_t quantizeIq1sReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);
size_t quantizeIq1mReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance);

void dequantizeIq2xxs(const void *src, float *dst, int64_t n);
void dequantizeIq2xs(const void *src, float *dst, int64_t n);
void dequantizeIq2s(const void *src, float *dst, int64_t n);
void dequantizeIq1s(const void *src, float *dst, int64_t n);
void dequantizeIq1m(const void *src, float *dst, int64_t n);

// Shared by the quantizer files: throws qb::Error when importance data is missing or when a
// weight or importance value is not finite.
void checkQuantizeInputs(GgmlType type, const float *src, int64_t nrows, int64_t ncols, const float *importance);

} // namespace qb::iq2
