// Block layouts of IQ2_XXS, IQ2_XS and IQ2_S (ggml-common.h), and the row kernels of this
// family (registered by iq2_kernels.cpp).
//
// Contract: the structs are byte-for-byte ggml's blocks (little-endian, no padding); kernels
// copy them in and out with memcpy, so callers' buffers need no alignment. Every quantizer
// requires importance weights (ncols of them) and finite data, and throws qb::Error otherwise;
// they reproduce llama.cpp b4748's quantize_iq2_xxs / _iq2_xs / _iq2_s bit for bit.
#pragma once

#include "ggml_types.h"
#include "kernels/kernel_ops.h"

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

static_assert(sizeof(BlockIq2xxs) == 66);
static_assert(sizeof(BlockIq2xs) == 74);
static_assert(sizeof(BlockIq2s) == 82);

QuantizeRows quantizeIq2xxs, quantizeIq2xs, quantizeIq2s;

// The plain scalar forms of the same algorithms (ggml's loops as written), for the reference path.
QuantizeRows quantizeIq2xxsReference, quantizeIq2xsReference, quantizeIq2sReference;

Dequantize dequantizeIq2xxs, dequantizeIq2xs, dequantizeIq2s;

} // namespace qb::iq2
