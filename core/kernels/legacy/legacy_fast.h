// Fast block quantizers for the legacy types, byte-identical to the *Reference ones in
// legacy_blocks.h.
//
// Contract: same arguments and bytes as quantizeQ*_*Reference for every input, including
// zeros, signed zeros, subnormals, infinities and NaN. On x86-64 CPUs with AVX2 and F16C (checked at
// run time) the work is vectorised across the 32 elements of a block; each element still gets
// exactly the reference's multiply, add and rounding, never fused or reordered. Elsewhere the
// calls fall back to the reference code.
#pragma once

#include <cstdint>

namespace qb::legacy {

void quantizeQ4_0Fast(const float *src, void *dst, int64_t blocks);
void quantizeQ4_1Fast(const float *src, void *dst, int64_t blocks);
void quantizeQ5_0Fast(const float *src, void *dst, int64_t blocks);
void quantizeQ5_1Fast(const float *src, void *dst, int64_t blocks);
void quantizeQ8_0Fast(const float *src, void *dst, int64_t blocks);

// True when the vector code runs on this machine (for benchmarks and tests to report).
bool legacyFastPathVectorised();

} // namespace qb::legacy
