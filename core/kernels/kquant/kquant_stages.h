// The scale-encoding stage of each K-quant quantizer, shared by the reference and the fast path.
//
// Contract: every K-quant quantizer (1) searches a scale (and min) per sub-block, (2) encodes
// those into the block's fp16 super-block scales and 4/6-bit sub-block codes, (3) requantizes
// every element with the stored values and (4) packs the bits. Stages 1, 3 and 4 have a scalar
// reference form and a fast form; stage 2 is small and lives here once, so both paths encode
// scales with the very same code. Inputs are the stage-1 results of one super-block.
#pragma once

#include "kernels/kquant/kquant_blocks.h"

namespace qb::kquant {

// quantize_row_q2_K_ref: 16 scales and 16 mins (positive offsets) from make_qkx2_quants.
void encodeScalesQ2KRef(const float *scales, const float *mins, BlockQ2K &b);
// quantize_row_q2_K_impl: make_qp_quants over the scales and mins; sw are the weight sums.
void encodeScalesQ2KImportance(const float *scales, const float *mins, const float *sw, BlockQ2K &b);
// quantize_row_q3_K_ref: 16 signed scales from make_q3_quants.
void encodeScalesQ3KRef(const float *scales, BlockQ3K &b);
// quantize_row_q3_K_impl: make_qx_quants over the 16 scales.
void encodeScalesQ3KImportance(const float *scales, const float *sw, BlockQ3K &b);
// quantize_row_q4_K_ref / q5_K_ref: 8 scales and 8 mins from make_qkx2_quants.
void encodeScaleMinRef(const float *scales, const float *mins, uint16_t &d, uint16_t &dmin, uint8_t *packedScales);
// quantize_row_q4_K_impl / q5_K_impl: make_qp_quants over the scales and mins.
void encodeScaleMinImportance(const float *scales, const float *mins, const float *sw, uint16_t &d, uint16_t &dmin,
                              uint8_t *packedScales);
// quantize_row_q6_K_ref / impl: 16 signed scales. Returns false when the whole block is zero:
// then b is already complete (all bytes zero) and stages 3 and 4 are skipped, as in ggml.
bool encodeScalesQ6K(const float *scales, BlockQ6K &b);

} // namespace qb::kquant
