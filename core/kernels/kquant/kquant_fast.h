// The fast K-quant quantizers: same signatures and the same bytes as the *Ref / *Importance
// functions of kquant_blocks.h, several times faster on one core.
//
// Contract: output is byte-identical to the reference functions for every input (the per-sub-
// block searches run in SIMD lanes, one sub-block per lane, each lane in the scalar order; the
// finishing stage is the reference's own code). AVX2 is used when the CPU has it (runtime
// check), otherwise the same code compiled for the x86-64 baseline. Never FMA, never fast-math.
#pragma once

#include "kernels/kquant/kquant_blocks.h"

namespace qb::kquant {

void quantizeQ2KFast(const float *x, BlockQ2K *y, int64_t n);
void quantizeQ2KImportanceFast(const float *x, BlockQ2K *y, int64_t n, const float *qw);
void quantizeQ3KFast(const float *x, BlockQ3K *y, int64_t n);
void quantizeQ3KImportanceFast(const float *x, BlockQ3K *y, int64_t n, const float *qw);
void quantizeQ4KFast(const float *x, BlockQ4K *y, int64_t n);
void quantizeQ4KImportanceFast(const float *x, BlockQ4K *y, int64_t n, const float *qw);
void quantizeQ5KFast(const float *x, BlockQ5K *y, int64_t n);
void quantizeQ5KImportanceFast(const float *x, BlockQ5K *y, int64_t n, const float *qw);
void quantizeQ6KFast(const float *x, BlockQ6K *y, int64_t n);
void quantizeQ6KImportanceFast(const float *x, BlockQ6K *y, int64_t n, const float *qw);

} // namespace qb::kquant
