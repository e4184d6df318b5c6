// Block layouts of IQ1_S and IQ1_M (ggml-common.h), and the row kernels of this family
// (registered by iq1_kernels.cpp).
//
// Contract: the structs are byte-for-byte ggml's blocks (little-endian, no padding); kernels
// copy them in and out with memcpy, so callers' buffers need no alignment. Both quantizers
// require importance weights (ncols of them) and finite data, and throw qb::Error otherwise;
// they reproduce llama.cpp b4748's quantize_iq1_s / quantize_iq1_m bit for bit (and
// quantizeIq1m2026 0ad4a86's quantize_iq1_m). Their grid is
// the 2048-point codebook of iq2/iq2_grids.h (ggml builds all of them in iq2xs_init_impl).
#pragma once

#include "ggml_types.h"
#include "kernels/kernel_ops.h"

#include <cstddef>
#include <cstdint>

namespace qb::iq1 {

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

static_assert(sizeof(BlockIq1s) == 50);
static_assert(sizeof(BlockIq1m) == 56);

// ggml's IQ1S_DELTA / IQ1M_DELTA: the shift added to every IQ1 level.
inline constexpr float kIq1sDelta = 0.125f;
inline constexpr float kIq1mDelta = 0.125f;

QuantizeRows quantizeIq1s, quantizeIq1m;
// IQ1_M as llama.cpp 0ad4a86 (rule set 2026-09) writes it: its rewritten split search rounds
// differently from b4748's and picks other levels in rare groups.
QuantizeRows quantizeIq1m2026;

// The plain scalar forms of the same algorithms (ggml's loops as written), for the reference path.
QuantizeRows quantizeIq1sReference, quantizeIq1mReference;

Dequantize dequantizeIq1s, dequantizeIq1m;

} // namespace qb::iq1
