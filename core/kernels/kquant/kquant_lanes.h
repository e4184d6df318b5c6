// Lane-parallel forms of ggml's scale searches for the K-quant fast path (internal).
//
// Contract: lane k of group g runs exactly the scalar sequence of quant_search.cpp for
// sub-block 8g + k: the same float operations in the same order, with branches turned into
// per-lane selects. Nothing is reassociated across elements, so each lane's result is
// bit-identical to the scalar routine's (tst_kernels_rows referencePathMatches checks it).
// G groups of 8 lanes run interleaved so that their dependency chains overlap. Inputs are
// transposed: xt[i * G + g] holds element i of the sub-blocks of group g. Levels are not kept
// per step: the winning step's parameters are kept and its levels recomputed once at the end
// (the same operations on the same values give the same integers). Everything is
// always_inline so that the caller's target (AVX2 or baseline SSE2) decides the instructions.
#pragma once

#include <cstdint>
#include <cstring>

// 32-byte vectors only ever live inside inlined code here; their ABI in baseline builds is
// irrelevant. (Parameters are passed by reference: GCC's ABI note for by-value vector
// parameters ignores this pragma.)
#pragma GCC diagnostic ignored "-Wpsabi"

namespace qb::kquant::lanes {

#define QB_LANES_INLINE [[gnu::always_inline]] inline

typedef float F8 __attribute__((vector_size(32)));
typedef int32_t I8 __attribute__((vector_size(32)));

QB_LANES_INLINE F8 splat(float v) { return F8{} + v; }
QB_LANES_INLINE I8 splatI(int v) { return I8{} + v; }
QB_LANES_INLINE F8 toFloat(const I8 &v) { return __builtin_convertvector(v, F8); }

// nearestInt on every lane (same magic-constant trick, same bits).
QB_LANES_INLINE I8 nearest(const F8 &v) {
    const I8 bits = (I8)(v + 12582912.f);
    return (bits & 0x007fffff) - 0x00400000;
}

QB_LANES_INLINE F8 absf(const F8 &v) { return (F8)((I8)v & 0x7fffffff); }

// Written with vector bounds so that GCC emits pminsd / pmaxsd.
QB_LANES_INLINE I8 clampI(const I8 &value, const I8 &lo, const I8 &hi) {
    const I8 v = value < hi ? value : hi;
    return v > lo ? v : lo;
}

QB_LANES_INLINE bool anyLane(const I8 &m) {
    int32_t r = 0;
    for (int k = 0; k < 8; ++k) r |= m[k];
    return r != 0;
}

typedef uint8_t U8x32 __attribute__((vector_size(32)));

QB_LANES_INLINE F8 load8(const float *x) {
    F8 v;
    std::memcpy(&v, x, sizeof v);
    return v;
}

// Eight levels stored as bytes (the low byte of each lane). A byte shuffle, because GCC turns
// __builtin_convertvector to 8 x uint8 into scalar extracts. __builtin_shufflevector (GCC >= 12
// and clang) rather than GCC's __builtin_shuffle, so the sanitizer and fuzz builds (clang) compile.
QB_LANES_INLINE void storeLevels(const I8 &l, void *dst) {
    const U8x32 all = (U8x32)l;
    const auto bytes = __builtin_shufflevector(all, all, 0, 4, 8, 12, 16, 20, 24, 28);
    std::memcpy(dst, &bytes, 8);
}

// In-place transpose of an 8 x 8 matrix held as eight rows (pure data movement).
template <typename V>
QB_LANES_INLINE void transpose8x8(V *r) {
    V t[8], u[8];
    for (int p = 0; p < 4; ++p) {
        t[2 * p] = __builtin_shufflevector(r[2 * p], r[2 * p + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[2 * p + 1] = __builtin_shufflevector(r[2 * p], r[2 * p + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int p = 0; p < 2; ++p) {
        u[4 * p + 0] = __builtin_shufflevector(t[4 * p + 0], t[4 * p + 2], 0, 1, 8, 9, 4, 5, 12, 13);
        u[4 * p + 1] = __builtin_shufflevector(t[4 * p + 0], t[4 * p + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        u[4 * p + 2] = __builtin_shufflevector(t[4 * p + 1], t[4 * p + 3], 0, 1, 8, 9, 4, 5, 12, 13);
        u[4 * p + 3] = __builtin_shufflevector(t[4 * p + 1], t[4 * p + 3], 2, 3, 10, 11, 6, 7, 14, 15);
    }
    for (int c = 0; c < 4; ++c) {
        r[c] = __builtin_shufflevector(u[c], u[c + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        r[c + 4] = __builtin_shufflevector(u[c], u[c + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
}

// xt[i * G + g] lane k = x[(8g + k) * n + i].
template <int G, int n>
QB_LANES_INLINE void transpose(const float *x, F8 *xt) {
    for (int g = 0; g < G; ++g) {
        for (int i0 = 0; i0 < n; i0 += 8) {
            F8 r[8];
            for (int k = 0; k < 8; ++k) r[k] = load8(x + (8 * g + k) * n + i0);
            transpose8x8(r);
            for (int j = 0; j < 8; ++j) xt[(i0 + j) * G + g] = r[j];
        }
    }
}

// L[(8g + k) * n + i] = Lt[i * G + g] lane k, as bytes.
template <int G, int n, typename Out>
QB_LANES_INLINE void untranspose(const I8 *Lt, Out *L) {
    static_assert(sizeof(Out) == 1, "levels are stored as bytes");
    for (int g = 0; g < G; ++g) {
        for (int i0 = 0; i0 < n; i0 += 8) {
            I8 r[8];
            for (int j = 0; j < 8; ++j) r[j] = Lt[(i0 + j) * G + g];
            transpose8x8(r);
            for (int k = 0; k < 8; ++k) storeLevels(r[k], L + (8 * g + k) * n + i0);
        }
    }
}

// make_qkx2_quants (qkx3 = false) / make_qkx3_quants (qkx3 = true) with explicit weights and
// nstep >= 1. scaleOut[g] gets the scales, theMinOut[g] minus the offsets, L the levels 0..nmax.
template <int G, int n>
QB_LANES_INLINE void searchMinScale(const F8 *xt, const F8 *wt, int nmax, float rmin, float rdelta, int nstep,
                                    bool useMad, bool qkx3, I8 *L, F8 *scaleOut, F8 *theMinOut) {
    const I8 zeroI = splatI(0), nmaxI = splatI(nmax);
    F8 min[G], max[G], sumW[G], sumX[G], scale[G], best[G], levelIscale[G], levelMin[G], minStart[G];
    I8 degenerate[G];
    for (int g = 0; g < G; ++g) {
        min[g] = max[g] = xt[g];
        sumW[g] = wt[g];
        sumX[g] = sumW[g] * xt[g];
    }
    for (int i = 1; i < n; ++i) {
        for (int g = 0; g < G; ++g) {
            const F8 x = xt[i * G + g];
            min[g] = x < min[g] ? x : min[g];
            max[g] = x > max[g] ? x : max[g];
            sumW[g] += wt[i * G + g];
            sumX[g] += wt[i * G + g] * x;
        }
    }
    for (int g = 0; g < G; ++g) {
        min[g] = min[g] > 0.f ? splat(0.f) : min[g];
        minStart[g] = min[g];
        degenerate[g] = qkx3 ? (max[g] <= min[g]) : (max[g] == min[g]);
        const F8 iscale = float(nmax) / (max[g] - min[g]);
        scale[g] = 1.f / iscale;
        levelIscale[g] = iscale;
        levelMin[g] = min[g];
        best[g] = splat(0.f);
    }
    for (int i = 0; i < n; ++i) {
        for (int g = 0; g < G; ++g) {
            const F8 x = xt[i * G + g];
            const I8 l = clampI(nearest(levelIscale[g] * (x - min[g])), zeroI, nmaxI);
            F8 diff = scale[g] * toFloat(l) + min[g] - x;
            diff = useMad ? absf(diff) : diff * diff;
            best[g] += wt[i * G + g] * diff;
        }
    }
    F8 levels[n * G];
    for (int is = 0; is <= nstep; ++is) {
        const float numerator = rmin + rdelta * float(is) + float(nmax);
        F8 iscale[G], sumL[G], sumL2[G], sumXL[G];
        for (int g = 0; g < G; ++g) {
            iscale[g] = numerator / (max[g] - min[g]);
            sumL[g] = sumL2[g] = sumXL[g] = splat(0.f);
        }
        for (int i = 0; i < n; ++i) {
            for (int g = 0; g < G; ++g) {
                const F8 x = xt[i * G + g];
                const F8 fl = toFloat(clampI(nearest(iscale[g] * (x - min[g])), zeroI, nmaxI));
                levels[i * G + g] = fl;
                const F8 wl = wt[i * G + g] * fl;
                sumL[g] += wl;
                sumL2[g] += wl * fl;
                sumXL[g] += wl * x;
            }
        }
        F8 D[G];
        I8 solvable[G];
        I8 anySolvable = zeroI;
        for (int g = 0; g < G; ++g) {
            D[g] = sumW[g] * sumL2[g] - sumL[g] * sumL[g];
            solvable[g] = D[g] > 0.f;
            anySolvable |= solvable[g];
        }
        if (!anyLane(anySolvable)) continue;
        F8 thisScale[G], thisMin[G], err[G];
        for (int g = 0; g < G; ++g) {
            thisScale[g] = (sumW[g] * sumXL[g] - sumX[g] * sumL[g]) / D[g];
            thisMin[g] = (sumL2[g] * sumX[g] - sumL[g] * sumXL[g]) / D[g];
            const I8 positiveMin = thisMin[g] > 0.f;
            thisMin[g] = positiveMin ? splat(0.f) : thisMin[g];
            thisScale[g] = positiveMin ? sumXL[g] / sumL2[g] : thisScale[g];
            err[g] = splat(0.f);
        }
        for (int i = 0; i < n; ++i) {
            for (int g = 0; g < G; ++g) {
                F8 diff = thisScale[g] * levels[i * G + g] + thisMin[g] - xt[i * G + g];
                diff = useMad ? absf(diff) : diff * diff;
                err[g] += wt[i * G + g] * diff;
            }
        }
        for (int g = 0; g < G; ++g) {
            const I8 take = solvable[g] & (err[g] < best[g]);
            levelIscale[g] = take ? iscale[g] : levelIscale[g];
            levelMin[g] = take ? min[g] : levelMin[g];
            best[g] = take ? err[g] : best[g];
            scale[g] = take ? thisScale[g] : scale[g];
            min[g] = take ? thisMin[g] : min[g];
        }
    }
    for (int i = 0; i < n; ++i) {
        for (int g = 0; g < G; ++g) {
            const I8 l = clampI(nearest(levelIscale[g] * (xt[i * G + g] - levelMin[g])), zeroI, nmaxI);
            L[i * G + g] = degenerate[g] ? zeroI : l;
        }
    }
    for (int g = 0; g < G; ++g) {
        theMinOut[g] = -(degenerate[g] ? minStart[g] : min[g]);
        scaleOut[g] = degenerate[g] ? splat(0.f) : scale[g];
    }
}

// Per lane: max = the element of largest magnitude (first one on ties), amax = its magnitude.
template <int G, int n>
QB_LANES_INLINE void signedMax(const F8 *xt, F8 *max, F8 *amax) {
    for (int g = 0; g < G; ++g) max[g] = amax[g] = splat(0.f);
    for (int i = 0; i < n; ++i) {
        for (int g = 0; g < G; ++g) {
            const F8 ax = absf(xt[i * G + g]);
            const I8 bigger = ax > amax[g];
            amax[g] = bigger ? ax : amax[g];
            max[g] = bigger ? xt[i * G + g] : max[g];
        }
    }
}

// make_qx_quants with rmse_type 1 and explicit weights wt (x*x where ggml's qw is null).
// scaleOut[g] gets the scales, L the levels l + nmax.
template <int G, int n>
QB_LANES_INLINE void searchSymmetric(const F8 *xt, const F8 *wt, int nmax, I8 *L, F8 *scaleOut) {
    const I8 loI = splatI(-nmax), hiI = splatI(nmax - 1);
    F8 max[G], amax[G], scale[G], best[G], levelIscale[G];
    I8 zero[G];
    signedMax<G, n>(xt, max, amax);
    F8 wx[n * G];  // w * x is the first product of ggml's w*x*l; the same value every step
    for (int i = 0; i < n * G; ++i) wx[i] = wt[i] * xt[i];
    // First fit at iscale = -nmax / max.
    F8 iscale0[G], sumlx[G], suml2[G];
    for (int g = 0; g < G; ++g) {
        zero[g] = amax[g] < 1e-15f;  // kGroupMaxEps
        iscale0[g] = float(-nmax) / max[g];
        sumlx[g] = suml2[g] = splat(0.f);
    }
    for (int i = 0; i < n; ++i) {
        for (int g = 0; g < G; ++g) {
            const F8 fl = toFloat(clampI(nearest(iscale0[g] * xt[i * G + g]), loI, hiI));
            sumlx[g] += wx[i * G + g] * fl;
            suml2[g] += wt[i * G + g] * fl * fl;
        }
    }
    for (int g = 0; g < G; ++g) {
        scale[g] = suml2[g] != 0.f ? sumlx[g] / suml2[g] : splat(0.f);
        best[g] = scale[g] * sumlx[g];
        levelIscale[g] = iscale0[g];
    }
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) continue;
        const float numerator = -(float(nmax) + 0.1f * float(is));
        F8 iscale[G];
        for (int g = 0; g < G; ++g) {
            iscale[g] = numerator / max[g];
            sumlx[g] = suml2[g] = splat(0.f);
        }
        for (int i = 0; i < n; ++i) {
            for (int g = 0; g < G; ++g) {
                const F8 fl = toFloat(clampI(nearest(iscale[g] * xt[i * G + g]), loI, hiI));
                sumlx[g] += wx[i * G + g] * fl;
                suml2[g] += wt[i * G + g] * fl * fl;
            }
        }
        for (int g = 0; g < G; ++g) {
            const I8 take = (suml2[g] > 0.f) & (sumlx[g] * sumlx[g] > best[g] * suml2[g]);
            const F8 newScale = sumlx[g] / suml2[g];
            levelIscale[g] = take ? iscale[g] : levelIscale[g];
            scale[g] = take ? newScale : scale[g];
            best[g] = take ? newScale * sumlx[g] : best[g];
        }
    }
    for (int i = 0; i < n; ++i) {
        for (int g = 0; g < G; ++g) {
            const I8 l = clampI(nearest(levelIscale[g] * xt[i * G + g]), loI, hiI) + nmax;
            L[i * G + g] = zero[g] ? splatI(0) : l;
        }
    }
    for (int g = 0; g < G; ++g) scaleOut[g] = zero[g] ? splat(0.f) : scale[g];
}

// make_q3_quants with do_rmse = true. scaleOut[g] gets the scales, L the levels l + nmax.
template <int G, int n>
QB_LANES_INLINE void searchQ3(const F8 *xt, int nmax, I8 *L, F8 *scaleOut) {
    const I8 loI = splatI(-nmax), hiI = splatI(nmax - 1);
    F8 max[G], amax[G], sumlx[G], suml2[G];
    I8 zero[G], active[G];
    signedMax<G, n>(xt, max, amax);
    F8 w[n * G], wx[n * G];
    for (int g = 0; g < G; ++g) {
        zero[g] = amax[g] < 1e-15f;  // kGroupMaxEps
        active[g] = ~zero[g];
        sumlx[g] = suml2[g] = splat(0.f);
    }
    for (int i = 0; i < n; ++i) {
        for (int g = 0; g < G; ++g) {
            const F8 x = xt[i * G + g];
            L[i * G + g] = clampI(nearest((float(-nmax) / max[g]) * x), loI, hiI);
            w[i * G + g] = x * x;
            wx[i * G + g] = w[i * G + g] * x;
            const F8 fl = toFloat(L[i * G + g]);
            sumlx[g] += wx[i * G + g] * fl;
            suml2[g] += w[i * G + g] * fl * fl;
        }
    }
    // A lane stops after the first pass that changed nothing, as the scalar loop breaks.
    for (int itry = 0; itry < 5; ++itry) {
        bool live[G];
        bool anyLive = false;
        I8 changed[G];
        for (int g = 0; g < G; ++g) {
            live[g] = anyLane(active[g]);
            anyLive |= live[g];
            changed[g] = splatI(0);
        }
        if (!anyLive) break;
        for (int i = 0; i < n; ++i) {
            for (int g = 0; g < G; ++g) {
                if (!live[g]) continue;  // every lane of the group has converged
                const int k = i * G + g;
                const F8 fl = toFloat(L[k]);
                const F8 slxOld = sumlx[g] - wx[k] * fl;
                const F8 sl2Old = suml2[g] - w[k] * fl * fl;
                const I8 newL = clampI(nearest(xt[k] * sl2Old / slxOld), loI, hiI);
                const F8 fn = toFloat(newL);
                const F8 slx = slxOld + wx[k] * fn;
                const F8 sl2 = sl2Old + w[k] * fn * fn;
                const I8 take = active[g] & (slxOld > 0.f) & (newL != L[k]) & (sl2 > 0.f) &
                                (slx * slx * suml2[g] > sumlx[g] * sumlx[g] * sl2);
                L[k] = take ? newL : L[k];
                sumlx[g] = take ? slx : sumlx[g];
                suml2[g] = take ? sl2 : suml2[g];
                changed[g] -= take;
            }
        }
        for (int g = 0; g < G; ++g) active[g] &= changed[g] != 0;
    }
    for (int i = 0; i < n; ++i)
        for (int g = 0; g < G; ++g) L[i * G + g] = zero[g] ? splatI(0) : L[i * G + g] + nmax;
    for (int g = 0; g < G; ++g)
        scaleOut[g] = zero[g] ? splat(0.f) : (suml2[g] > 0.f ? sumlx[g] / suml2[g] : splat(0.f));
}

} // namespace qb::kquant::lanes
