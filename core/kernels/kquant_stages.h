// The second stage of each K-quant quantizer, shared by the reference and the fast path.
//
// Contract: every K-quant quantizer first searches a scale (and min) per sub-block, then turns
// those into the super-block scales, requantizes the elements with the stored (fp16) values and
// packs the bits. The fast path replaces only the first stage; both paths call these finishers,
// so equal first-stage results give equal bytes. L holds the first-stage levels on entry: ggml
// keeps them for sub-blocks whose stored scale is zero. x is one super-block (QK_K floats).
#pragma once

#include "kernels/kquant_blocks.h"

namespace qb::kquant {

// quantize_row_q2_K_ref after make_qkx2_quants: 16 scales and 16 mins (as positive offsets).
void finishQ2KRef(const float *x, const float *scales, const float *mins, uint8_t *L, BlockQ2K &b);
// quantize_row_q2_K_impl after make_qkx3_quants: sw are the 16 per-sub-block weight sums.
void finishQ2KImportance(const float *x, const float *scales, const float *mins, const float *sw, uint8_t *L,
                         BlockQ2K &b);
// quantize_row_q3_K_ref after make_q3_quants (L: levels 0..7).
void finishQ3KRef(const float *x, const float *scales, int8_t *L, BlockQ3K &b);
// quantize_row_q3_K_impl after the per-sub-block make_qx_quants.
void finishQ3KImportance(const float *x, const float *scales, const float *sw, int8_t *L, BlockQ3K &b);
// quantize_row_q4_K_ref / q5_K_ref (nmax 15 / 31) after make_qkx2_quants: 8 scales, 8 mins.
void finishScaleMinRef(int nmax, const float *x, const float *scales, const float *mins, uint8_t *L,
                       uint16_t &d, uint16_t &dmin, uint8_t *packedScales);
// quantize_row_q4_K_impl / q5_K_impl after make_qkx3_quants.
void finishScaleMinImportance(int nmax, const float *x, const float *scales, const float *mins, const float *sw,
                              uint8_t *L, uint16_t &d, uint16_t &dmin, uint8_t *packedScales);
// quantize_row_q6_K_ref / impl after the per-sub-block make_qx_quants (L: levels 0..63).
void finishQ6K(const float *x, const float *scales, int8_t *L, BlockQ6K &b);

} // namespace qb::kquant
