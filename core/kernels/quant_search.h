// Scale searches shared by the K-quant and legacy families (ggml-quants.c helpers).
//
// Contract: each routine reproduces its llama.cpp b4748 counterpart bit for bit: the same
// float (never double) operations in the same order, the same tie and clamp rules, so the
// quantized bytes built from their results equal llama-quantize's. Callers own all buffers;
// n is the group length (at most 256), nmax the largest level. Nothing here allocates.
//
//   nearestInt      ggml nearest_int: round half to even via the 1.5 * 2^23 magic constant
//   makeQxQuants    make_qx_quants: symmetric levels -nmax..nmax-1 stored as l + nmax
//   makeQ3Quants    make_q3_quants: symmetric levels with the coordinate-descent refinement
//   makeQkx2Quants  make_qkx2_quants: asymmetric levels 0..nmax with a min, weighted grid search
//   makeQkx3Quants  make_qkx3_quants: as qkx2; null weights mean x*x
//   makeQpQuants    make_qp_quants: non-negative levels 0..nmax for the per-block scales
#pragma once

#include <bit>
#include <cstdint>

namespace qb {

// ggml's GROUP_MAX_EPS: groups whose largest magnitude is below this count as all zero.
inline constexpr float kGroupMaxEps = 1e-15f;

// Adding 1.5 * 2^23 puts the rounded integer in the low mantissa bits (round half to even,
// the FPU's mode). Valid for |v| <= 2^22 - 1; outside it the result is the same garbage ggml gets.
inline int nearestInt(float v) {
    const float shifted = v + 12582912.f;
    const int32_t bits = std::bit_cast<int32_t>(shifted);
    return (bits & 0x007fffff) - 0x00400000;
}

// Levels in L are l + nmax for l in [-nmax, nmax-1]. rmseType 0: plain rounding; 1..4 pick the
// weight (x^2, 1, |x|, sqrt|x|) when qw is null; a negative rmseType returns after the first fit.
float makeQxQuants(int n, int nmax, const float *x, int8_t *L, int rmseType, const float *qw);

// Levels in L are l + nmax for l in [-nmax, nmax-1]; doRmse refines with weights x^2.
float makeQ3Quants(int n, int nmax, const float *x, int8_t *L, bool doRmse);

// Returns the scale; *theMin receives minus the (non-positive) offset. Laux is n bytes of scratch.
float makeQkx2Quants(int n, int nmax, const float *x, const float *weights, uint8_t *L, float *theMin,
                     uint8_t *Laux, float rmin, float rdelta, int nstep, bool useMad);

// As makeQkx2Quants; weights may be null (then x*x is used).
float makeQkx3Quants(int n, int nmax, const float *x, const float *weights, uint8_t *L, float *theMin,
                     uint8_t *Laux, float rmin, float rdelta, int nstep, bool useMad);

// x must be non-negative; quantWeights are n weights (never null).
float makeQpQuants(int n, int nmax, const float *x, uint8_t *L, const float *quantWeights);

} // namespace qb
