// Lane-parallel forms of ggml's scale searches for the K-quant fast path (internal).
//
// Contract: lane k of every vector runs exactly the scalar sequence of quant_search.cpp for
// sub-block k: the same float operations in the same order, with branches turned into per-lane
// selects. Nothing is reassociated across elements, so each lane's result is bit-identical to
// the scalar routine's (tests/core/tst_kernels_rows referencePathMatches checks it). Inputs are
// transposed: xt[i] holds element i of every sub-block. Everything is always_inline so that the
// caller's target (AVX2 or baseline SSE2) decides the instructions.
#pragma once

#include <cstdint>
#include <cstring>

// Vectors wider than the baseline ABI only ever live inside inlined code here.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace qb::kquant::lanes {

#define QB_LANES_INLINE [[gnu::always_inline]] inline

template <int N>
struct Vec {
    typedef float F __attribute__((vector_size(4 * N)));
    typedef int32_t I __attribute__((vector_size(4 * N)));
};

template <int N>
QB_LANES_INLINE typename Vec<N>::F splat(float v) {
    return typename Vec<N>::F{} + v;
}

template <int N>
QB_LANES_INLINE typename Vec<N>::F toFloat(typename Vec<N>::I v) {
    return __builtin_convertvector(v, typename Vec<N>::F);
}

// nearestInt on every lane (same magic-constant trick, same bits).
template <int N>
QB_LANES_INLINE typename Vec<N>::I nearest(typename Vec<N>::F v) {
    using I = typename Vec<N>::I;
    const I bits = (I)(v + 12582912.f);
    return (bits & 0x007fffff) - 0x00400000;
}

template <int N>
QB_LANES_INLINE typename Vec<N>::F absf(typename Vec<N>::F v) {
    using F = typename Vec<N>::F;
    using I = typename Vec<N>::I;
    return (F)((I)v & 0x7fffffff);
}

template <int N>
QB_LANES_INLINE typename Vec<N>::I clampI(typename Vec<N>::I v, int lo, int hi) {
    v = v > hi ? hi : v;
    return v < lo ? lo : v;
}

template <int N>
QB_LANES_INLINE bool anyLane(typename Vec<N>::I m) {
    int32_t a[N];
    std::memcpy(a, &m, sizeof a);
    int32_t r = 0;
    for (int k = 0; k < N; ++k) r |= a[k];
    return r != 0;
}

// xt[i] lane k = x[k * n + i].
template <int N, int n>
QB_LANES_INLINE void transpose(const float *x, typename Vec<N>::F *xt) {
    alignas(64) float buf[n * N];
    for (int k = 0; k < N; ++k)
        for (int i = 0; i < n; ++i) buf[i * N + k] = x[k * n + i];
    std::memcpy(xt, buf, sizeof buf);
}

// L[k * n + i] = Lt[i] lane k.
template <int N, int n, typename Out>
QB_LANES_INLINE void untranspose(const typename Vec<N>::I *Lt, Out *L) {
    alignas(64) int32_t buf[n * N];
    std::memcpy(buf, Lt, sizeof buf);
    for (int k = 0; k < N; ++k)
        for (int i = 0; i < n; ++i) L[k * n + i] = Out(buf[i * N + k]);
}

// make_qkx2_quants (qkx3 = false) / make_qkx3_quants (qkx3 = true) with explicit weights and
// nstep >= 1. Returns per-lane scale; theMin gets minus the offset, L the levels 0..nmax.
template <int N, int n>
QB_LANES_INLINE typename Vec<N>::F searchMinScale(const typename Vec<N>::F *xt, const typename Vec<N>::F *wt, int nmax,
                                                  float rmin, float rdelta, int nstep, bool useMad, bool qkx3,
                                                  typename Vec<N>::I *L, typename Vec<N>::F &theMin) {
    using F = typename Vec<N>::F;
    using I = typename Vec<N>::I;
    F min = xt[0];
    F max = xt[0];
    F sumW = wt[0];
    F sumX = sumW * xt[0];
    for (int i = 1; i < n; ++i) {
        min = xt[i] < min ? xt[i] : min;
        max = xt[i] > max ? xt[i] : max;
        sumW += wt[i];
        sumX += wt[i] * xt[i];
    }
    min = min > 0.f ? splat<N>(0.f) : min;
    const F minStart = min;
    const I degenerate = qkx3 ? (max <= min) : (max == min);
    F iscale = float(nmax) / (max - min);
    F scale = 1.f / iscale;
    F best = splat<N>(0.f);
    for (int i = 0; i < n; ++i) {
        L[i] = clampI<N>(nearest<N>(iscale * (xt[i] - min)), 0, nmax);
        F diff = scale * toFloat<N>(L[i]) + min - xt[i];
        diff = useMad ? absf<N>(diff) : diff * diff;
        best += wt[i] * diff;
    }
    I Laux[n];
    for (int is = 0; is <= nstep; ++is) {
        const float numerator = rmin + rdelta * float(is) + float(nmax);
        iscale = numerator / (max - min);
        F sumL = splat<N>(0.f), sumL2 = splat<N>(0.f), sumXL = splat<N>(0.f);
        for (int i = 0; i < n; ++i) {
            Laux[i] = clampI<N>(nearest<N>(iscale * (xt[i] - min)), 0, nmax);
            const F fl = toFloat<N>(Laux[i]);
            sumL += wt[i] * fl;
            sumL2 += wt[i] * fl * fl;
            sumXL += wt[i] * fl * xt[i];
        }
        const F D = sumW * sumL2 - sumL * sumL;
        const I solvable = D > 0.f;
        if (!anyLane<N>(solvable)) continue;
        F thisScale = (sumW * sumXL - sumX * sumL) / D;
        F thisMin = (sumL2 * sumX - sumL * sumXL) / D;
        const I positiveMin = thisMin > 0.f;
        thisMin = positiveMin ? splat<N>(0.f) : thisMin;
        thisScale = positiveMin ? sumXL / sumL2 : thisScale;
        F err = splat<N>(0.f);
        for (int i = 0; i < n; ++i) {
            F diff = thisScale * toFloat<N>(Laux[i]) + thisMin - xt[i];
            diff = useMad ? absf<N>(diff) : diff * diff;
            err += wt[i] * diff;
        }
        const I take = solvable & (err < best);
        if (!anyLane<N>(take)) continue;
        for (int i = 0; i < n; ++i) L[i] = take ? Laux[i] : L[i];
        best = take ? err : best;
        scale = take ? thisScale : scale;
        min = take ? thisMin : min;
    }
    for (int i = 0; i < n; ++i) L[i] = degenerate ? 0 : L[i];
    theMin = -(degenerate ? minStart : min);
    return degenerate ? splat<N>(0.f) : scale;
}

// make_qx_quants with rmse_type 1 and explicit weights wt (x*x when ggml's qw is null).
// L gets the levels l + nmax.
template <int N, int n>
QB_LANES_INLINE typename Vec<N>::F searchSymmetric(const typename Vec<N>::F *xt, const typename Vec<N>::F *wt, int nmax,
                                                   typename Vec<N>::I *L) {
    using F = typename Vec<N>::F;
    using I = typename Vec<N>::I;
    F max = splat<N>(0.f);
    F amax = splat<N>(0.f);
    for (int i = 0; i < n; ++i) {
        const F ax = absf<N>(xt[i]);
        const I bigger = ax > amax;
        amax = bigger ? ax : amax;
        max = bigger ? xt[i] : max;
    }
    const I zero = amax < 1e-15f;  // kGroupMaxEps
    F iscale = float(-nmax) / max;
    F sumlx = splat<N>(0.f);
    F suml2 = splat<N>(0.f);
    for (int i = 0; i < n; ++i) {
        const I l = clampI<N>(nearest<N>(iscale * xt[i]), -nmax, nmax - 1);
        L[i] = l + nmax;
        const F fl = toFloat<N>(l);
        sumlx += wt[i] * xt[i] * fl;
        suml2 += wt[i] * fl * fl;
    }
    F scale = suml2 != 0.f ? sumlx / suml2 : splat<N>(0.f);
    F best = scale * sumlx;
    I cand[n];
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) continue;
        const float numerator = -(float(nmax) + 0.1f * float(is));
        iscale = numerator / max;
        sumlx = splat<N>(0.f);
        suml2 = splat<N>(0.f);
        for (int i = 0; i < n; ++i) {
            const I l = clampI<N>(nearest<N>(iscale * xt[i]), -nmax, nmax - 1);
            cand[i] = l + nmax;
            const F fl = toFloat<N>(l);
            sumlx += wt[i] * xt[i] * fl;
            suml2 += wt[i] * fl * fl;
        }
        const I take = (suml2 > 0.f) & (sumlx * sumlx > best * suml2);
        if (!anyLane<N>(take)) continue;
        for (int i = 0; i < n; ++i) L[i] = take ? cand[i] : L[i];
        const F newScale = sumlx / suml2;
        scale = take ? newScale : scale;
        best = take ? newScale * sumlx : best;
    }
    for (int i = 0; i < n; ++i) L[i] = zero ? 0 : L[i];
    return zero ? splat<N>(0.f) : scale;
}

// make_q3_quants with do_rmse = true. L gets the levels l + nmax.
template <int N, int n>
QB_LANES_INLINE typename Vec<N>::F searchQ3(const typename Vec<N>::F *xt, int nmax, typename Vec<N>::I *L) {
    using F = typename Vec<N>::F;
    using I = typename Vec<N>::I;
    F max = splat<N>(0.f);
    F amax = splat<N>(0.f);
    for (int i = 0; i < n; ++i) {
        const F ax = absf<N>(xt[i]);
        const I bigger = ax > amax;
        amax = bigger ? ax : amax;
        max = bigger ? xt[i] : max;
    }
    const I zero = amax < 1e-15f;  // kGroupMaxEps
    const F iscale = float(-nmax) / max;
    F sumlx = splat<N>(0.f);
    F suml2 = splat<N>(0.f);
    F w[n];
    for (int i = 0; i < n; ++i) {
        L[i] = clampI<N>(nearest<N>(iscale * xt[i]), -nmax, nmax - 1);
        w[i] = xt[i] * xt[i];
        const F fl = toFloat<N>(L[i]);
        sumlx += w[i] * xt[i] * fl;
        suml2 += w[i] * fl * fl;
    }
    // A lane stops after the first pass that changed nothing, as the scalar loop breaks.
    I active = ~zero;
    for (int itry = 0; itry < 5 && anyLane<N>(active); ++itry) {
        I changed = I{} + 0;
        for (int i = 0; i < n; ++i) {
            const F fl = toFloat<N>(L[i]);
            const F slxOld = sumlx - w[i] * xt[i] * fl;
            const F sl2Old = suml2 - w[i] * fl * fl;
            const I newL = clampI<N>(nearest<N>(xt[i] * sl2Old / slxOld), -nmax, nmax - 1);
            const F fn = toFloat<N>(newL);
            const F slx = slxOld + w[i] * xt[i] * fn;
            const F sl2 = sl2Old + w[i] * fn * fn;
            const I take = active & (slxOld > 0.f) & (newL != L[i]) & (sl2 > 0.f) &
                           (slx * slx * suml2 > sumlx * sumlx * sl2);
            L[i] = take ? newL : L[i];
            sumlx = take ? slx : sumlx;
            suml2 = take ? sl2 : suml2;
            changed -= take;
        }
        active &= changed != 0;
    }
    for (int i = 0; i < n; ++i) L[i] = zero ? 0 : L[i] + nmax;
    return zero ? splat<N>(0.f) : (suml2 > 0.f ? sumlx / suml2 : splat<N>(0.f));
}

} // namespace qb::kquant::lanes
