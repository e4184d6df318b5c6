// Fast forms of the K-quant requantization and packing stages (internal to kquant_fast.cpp).
//
// Contract: each function writes exactly what its scalar counterpart in kquant_reference_*.cpp
// or kquant_blocks.h writes. Requantization divides eight neighbouring elements at once by the
// same stored scale (an element-wise operation, so the order question does not arise); packing
// replaces data-dependent branches by bit arithmetic on levels whose range is known.
#pragma once

#include "float_convert.h"
#include "kernels/kquant/kquant_blocks.h"
#include "kernels/kquant/kquant_lanes.h"

namespace qb::kquant::lanes {

QB_LANES_INLINE void requantizeQ2KFast(const float *x, const BlockQ2K &b, uint8_t *L) {
    const float dAll = fp16ToFp32(b.d);
    const float mAll = fp16ToFp32(b.dmin);
    for (int j = 0; j < QK_K / 16; ++j) {
        const float d = dAll * float(b.scales[j] & 0xF);
        if (d == 0) continue;
        const float dm = mAll * float(b.scales[j] >> 4);
        const I8 zeroI = splatI(0), threeI = splatI(3);
        for (int k = 0; k < 16; k += 8)
            storeLevels(clampI(nearest((load8(x + 16 * j + k) + dm) / d), zeroI, threeI), L + 16 * j + k);
    }
}

QB_LANES_INLINE void requantizeQ3KFast(const float *x, const BlockQ3K &b, int8_t *L) {
    const float dAll = fp16ToFp32(b.d);
    const I8 loI = splatI(-4), hiI = splatI(3);
    for (int j = 0; j < QK_K / 16; ++j) {
        const float d = dAll * float(unpackScaleQ3K(j, b.scales));
        if (d == 0) continue;
        for (int k = 0; k < 16; k += 8)
            storeLevels(clampI(nearest(load8(x + 16 * j + k) / d), loI, hiI) + 4, L + 16 * j + k);
    }
}

QB_LANES_INLINE void requantizeScaleMinFast(int nmax, const float *x, uint16_t dHalf, uint16_t dminHalf,
                                            const uint8_t *scales, uint8_t *L) {
    const I8 zeroI = splatI(0), nmaxI = splatI(nmax);
    for (int j = 0; j < QK_K / 32; ++j) {
        uint8_t sc, m;
        unpackScaleMinK4(j, scales, sc, m);
        const float d = fp16ToFp32(dHalf) * float(sc);
        if (d == 0) continue;
        const float dm = fp16ToFp32(dminHalf) * float(m);
        for (int k = 0; k < 32; k += 8)
            storeLevels(clampI(nearest((load8(x + 32 * j + k) + dm) / d), zeroI, nmaxI), L + 32 * j + k);
    }
}

QB_LANES_INLINE void requantizeQ6KFast(const float *x, const BlockQ6K &b, int8_t *L) {
    const float dAll = fp16ToFp32(b.d);
    const I8 loI = splatI(-32), hiI = splatI(31);
    for (int j = 0; j < QK_K / 16; ++j) {
        const float d = dAll * float(b.scales[j]);
        if (d == 0) continue;
        for (int k = 0; k < 16; k += 8)
            storeLevels(clampI(nearest(load8(x + 16 * j + k) / d), loI, hiI) + 32, L + 16 * j + k);
    }
}

// packQ3K without branches: levels are 0..7, so "L > 3" is bit 2.
QB_LANES_INLINE void packQ3KFast(uint8_t *L, BlockQ3K &b) {
    for (int m = 0; m < QK_K / 8; ++m) {
        unsigned h = 0;
        for (int k = 0; k < 8; ++k) h |= unsigned((L[32 * k + m] >> 2) & 1) << k;
        b.hmask[m] = uint8_t(h);
    }
    for (int j = 0; j < QK_K; ++j) L[j] &= 3;
    pack2Bit(L, b.qs);
}

// packQ5K without branches: levels are 0..31, so "L > 15" is bit 4.
QB_LANES_INLINE void packQ5KFast(const uint8_t *L, BlockQ5K &b) {
    for (int j = 0; j < 32; ++j) {
        unsigned h = 0;
        for (int p = 0; p < 4; ++p) {
            h |= unsigned((L[64 * p + j] >> 4) & 1) << (2 * p);
            h |= unsigned((L[64 * p + j + 32] >> 4) & 1) << (2 * p + 1);
        }
        b.qh[j] = uint8_t(h);
    }
    for (int p = 0; p < 4; ++p)
        for (int j = 0; j < 32; ++j)
            b.qs[32 * p + j] = uint8_t((L[64 * p + j] & 0xF) | ((L[64 * p + j + 32] & 0xF) << 4));
}

} // namespace qb::kquant::lanes
