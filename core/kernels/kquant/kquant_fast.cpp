// The fast K-quant quantizers. The sub-blocks of a super-block (or, for Q4_K / Q5_K, of two
// neighbouring super-blocks) are searched together, one per SIMD lane (kquant_lanes.h); the
// scales are encoded by the reference's own code (kquant_stages.h); requantization and
// packing use the vector forms of kquant_fast_pack.h. Each body is compiled twice, for AVX2
// and for the x86-64 baseline, and a runtime check picks one (Q3_K without importance has no
// baseline build, see below). QB_KQUANT_BASELINE=1 in the environment forces the baseline
// build (so tests can exercise it on AVX2 machines).
#include "kernels/kquant/kquant_fast.h"

#include "kernels/kquant/kquant_fast_pack.h"
#include "kernels/kquant/kquant_lanes.h"
#include "kernels/kquant/kquant_stages.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace qb::kquant {
namespace {

using namespace lanes;

template <int G>
QB_LANES_INLINE void storeGroups(const F8 *v, float *out) {
    std::memcpy(out, v, sizeof(F8) * G);
}

// sum_x2 over one super-block, in element order as ggml sums it.
QB_LANES_INLINE float sumSquares(const float *x) {
    float s = 0;
    for (int l = 0; l < QK_K; ++l) s += x[l] * x[l];
    return s;
}

// The importance-path weights qw * sqrt(sigma2 + x^2) of one super-block.
QB_LANES_INLINE void importanceWeights(const float *x, const float *qw, float sigma2, float *w) {
    for (int l = 0; l < QK_K; ++l) w[l] = qw[l] * std::sqrt(sigma2 + x[l] * x[l]);
}

// Per-lane sums of the transposed weights, each in element order from zero (ggml's sw[j]).
template <int G, int n>
QB_LANES_INLINE void laneSums(const F8 *wt, float *out) {
    F8 s[G];
    for (int g = 0; g < G; ++g) s[g] = splat(0.f);
    for (int i = 0; i < n; ++i)
        for (int g = 0; g < G; ++g) s[g] += wt[i * G + g];
    storeGroups<G>(s, out);
}

// ---------------------------------------------------------------- 16 sub-blocks of 16

QB_LANES_INLINE void q2kRefBody(const float *x, BlockQ2K *y, int64_t n) {
    F8 xt[32], wt[32], scaleV[2], minV[2];
    I8 Lt[32];
    uint8_t L[QK_K];
    float scales[16], mins[16];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        transpose<2, 16>(x, xt);
        for (int i = 0; i < 32; ++i) wt[i] = absf(xt[i]);
        searchMinScale<2, 16>(xt, wt, 3, -0.5f, 0.1f, 15, true, false, Lt, scaleV, minV);
        storeGroups<2>(scaleV, scales);
        storeGroups<2>(minV, mins);
        untranspose<2, 16>(Lt, L);
        encodeScalesQ2KRef(scales, mins, y[b]);
        requantizeQ2KFast(x, y[b], L);
        pack2Bit(L, y[b].qs);
    }
}

QB_LANES_INLINE void q2kImportanceBody(const float *x, BlockQ2K *y, int64_t n, const float *qw) {
    F8 xt[32], wt[32], scaleV[2], minV[2];
    I8 Lt[32];
    uint8_t L[QK_K];
    float w[QK_K], scales[16], mins[16], sw[16];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        importanceWeights(x, qw + QK_K * b, sumSquares(x) / QK_K, w);
        transpose<2, 16>(x, xt);
        transpose<2, 16>(w, wt);
        laneSums<2, 16>(wt, sw);
        searchMinScale<2, 16>(xt, wt, 3, -0.9f, 0.05f, 36, false, true, Lt, scaleV, minV);
        storeGroups<2>(scaleV, scales);
        storeGroups<2>(minV, mins);
        untranspose<2, 16>(Lt, L);
        encodeScalesQ2KImportance(scales, mins, sw, y[b]);
        requantizeQ2KFast(x, y[b], L);
        pack2Bit(L, y[b].qs);
    }
}

// G / 2 consecutive super-blocks of Q3_K without importance. make_q3_quants is one long
// dependency chain per sub-block (a division per element), so up to four super-blocks (G = 8)
// are searched together to keep eight chains in flight.
template <int G>
QB_LANES_INLINE void q3kRefGroup(const float *x, BlockQ3K *y) {
    F8 xt[16 * G], scaleV[G];
    I8 Lt[16 * G];
    int8_t L[128 * G];
    float scales[8 * G];
    transpose<G, 16>(x, xt);
    searchQ3<G, 16>(xt, 4, Lt, scaleV);
    storeGroups<G>(scaleV, scales);
    untranspose<G, 16>(Lt, L);
    for (int h = 0; h < G / 2; ++h) {
        encodeScalesQ3KRef(scales + 16 * h, y[h]);
        requantizeQ3KFast(x + QK_K * h, y[h], L + QK_K * h);
        packQ3KFast(reinterpret_cast<uint8_t *>(L + QK_K * h), y[h]);
    }
}

QB_LANES_INLINE void q3kRefBody(const float *x, BlockQ3K *y, int64_t n) {
    const int64_t nb = n / QK_K;
    int64_t b = 0;
    for (; b + 3 < nb; b += 4) q3kRefGroup<8>(x + QK_K * b, y + b);
    for (; b + 1 < nb; b += 2) q3kRefGroup<4>(x + QK_K * b, y + b);
    if (b < nb) q3kRefGroup<2>(x + QK_K * b, y + b);
}

QB_LANES_INLINE void q3kImportanceBody(const float *x, BlockQ3K *y, int64_t n, const float *qw) {
    F8 xt[32], wt[32], scaleV[2];
    I8 Lt[32];
    int8_t L[QK_K];
    float w[QK_K], scales[16], sw[16];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        importanceWeights(x, qw + QK_K * b, 2 * sumSquares(x) / QK_K, w);
        transpose<2, 16>(x, xt);
        transpose<2, 16>(w, wt);
        laneSums<2, 16>(wt, sw);
        searchSymmetric<2, 16>(xt, wt, 4, Lt, scaleV);
        storeGroups<2>(scaleV, scales);
        untranspose<2, 16>(Lt, L);
        encodeScalesQ3KImportance(scales, sw, y[b]);
        requantizeQ3KFast(x, y[b], L);
        packQ3KFast(reinterpret_cast<uint8_t *>(L), y[b]);
    }
}

// Q6_K: qw null means ggml's rmse_type 1 weights x*x.
QB_LANES_INLINE void q6kBody(const float *x, BlockQ6K *y, int64_t n, const float *qw) {
    F8 xt[32], wt[32], scaleV[2];
    I8 Lt[32];
    int8_t L[QK_K];
    float scales[16];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        transpose<2, 16>(x, xt);
        if (qw) {
            transpose<2, 16>(qw + QK_K * b, wt);
        } else {
            for (int i = 0; i < 32; ++i) wt[i] = xt[i] * xt[i];
        }
        searchSymmetric<2, 16>(xt, wt, 32, Lt, scaleV);
        storeGroups<2>(scaleV, scales);
        untranspose<2, 16>(Lt, L);
        if (!encodeScalesQ6K(scales, y[b])) continue;
        requantizeQ6KFast(x, y[b], L);
        packQ6K(L, y[b]);
    }
}

QB_LANES_INLINE void q6kRefBody(const float *x, BlockQ6K *y, int64_t n) { q6kBody(x, y, n, nullptr); }

// ---------------------------------------------------------------- 8 sub-blocks of 32 (Q4_K, Q5_K)

// G consecutive super-blocks searched together (G * 8 lanes). Without importance: per
// sub-block weights av_x + |x| and make_qkx2_quants; with importance: qw * sqrt(sigma2 + x^2)
// per super-block and make_qkx3_quants.
template <int G>
QB_LANES_INLINE void scaleMinSearch(int nmax, const float *x, const float *qw, float *scales, float *mins, float *sw,
                                    uint8_t *L) {
    F8 xt[32 * G], wt[32 * G], scaleV[G], minV[G];
    I8 Lt[32 * G];
    transpose<G, 32>(x, xt);
    if (!qw) {
        F8 sumX2[G];
        for (int g = 0; g < G; ++g) sumX2[g] = splat(0.f);
        for (int i = 0; i < 32; ++i)
            for (int g = 0; g < G; ++g) sumX2[g] += xt[i * G + g] * xt[i * G + g];
        alignas(32) float s[8 * G];
        storeGroups<G>(sumX2, s);
        for (int k = 0; k < 8 * G; ++k) s[k] = std::sqrt(s[k] / 32);
        F8 avX[G];
        std::memcpy(avX, s, sizeof avX);
        for (int i = 0; i < 32; ++i)
            for (int g = 0; g < G; ++g) wt[i * G + g] = avX[g] + absf(xt[i * G + g]);
        const float rmin = nmax == 15 ? -1.f : -0.5f;
        const int steps = nmax == 15 ? 20 : 15;
        searchMinScale<G, 32>(xt, wt, nmax, rmin, 0.1f, steps, false, false, Lt, scaleV, minV);
    } else {
        float w[QK_K * G];
        for (int g = 0; g < G; ++g)
            importanceWeights(x + QK_K * g, qw + QK_K * g, 2 * sumSquares(x + QK_K * g) / QK_K, w + QK_K * g);
        transpose<G, 32>(w, wt);
        laneSums<G, 32>(wt, sw);
        searchMinScale<G, 32>(xt, wt, nmax, -0.9f, 0.05f, 36, false, true, Lt, scaleV, minV);
    }
    storeGroups<G>(scaleV, scales);
    storeGroups<G>(minV, mins);
    untranspose<G, 32>(Lt, L);
}

template <typename Block>
QB_LANES_INLINE void scaleMinFinish(int nmax, const float *x, const float *scales, const float *mins, const float *sw,
                                    bool importance, uint8_t *L, Block &b) {
    if (importance)
        encodeScaleMinImportance(scales, mins, sw, b.d, b.dmin, b.scales);
    else
        encodeScaleMinRef(scales, mins, b.d, b.dmin, b.scales);
    requantizeScaleMinFast(nmax, x, b.d, b.dmin, b.scales, L);
    if constexpr (std::is_same_v<Block, BlockQ4K>)
        packQ4K(L, b.qs);
    else
        packQ5KFast(L, b);
}

template <typename Block>
QB_LANES_INLINE void scaleMinBody(int nmax, const float *x, Block *y, int64_t n, const float *qw) {
    uint8_t L[2 * QK_K];
    float scales[16], mins[16], sw[16];
    const int64_t nb = n / QK_K;
    int64_t b = 0;
    for (; b + 1 < nb; b += 2) {
        const float *xb = x + QK_K * b;
        scaleMinSearch<2>(nmax, xb, qw ? qw + QK_K * b : nullptr, scales, mins, sw, L);
        for (int h = 0; h < 2; ++h)
            scaleMinFinish(nmax, xb + QK_K * h, scales + 8 * h, mins + 8 * h, sw + 8 * h, qw != nullptr,
                           L + QK_K * h, y[b + h]);
    }
    if (b < nb) {
        const float *xb = x + QK_K * b;
        scaleMinSearch<1>(nmax, xb, qw ? qw + QK_K * b : nullptr, scales, mins, sw, L);
        scaleMinFinish(nmax, xb, scales, mins, sw, qw != nullptr, L, y[b]);
    }
}

QB_LANES_INLINE void q4kRefBody(const float *x, BlockQ4K *y, int64_t n) { scaleMinBody(15, x, y, n, nullptr); }
QB_LANES_INLINE void q4kImportanceBody(const float *x, BlockQ4K *y, int64_t n, const float *qw) {
    scaleMinBody(15, x, y, n, qw);
}
QB_LANES_INLINE void q5kRefBody(const float *x, BlockQ5K *y, int64_t n) { scaleMinBody(31, x, y, n, nullptr); }
QB_LANES_INLINE void q5kImportanceBody(const float *x, BlockQ5K *y, int64_t n, const float *qw) {
    scaleMinBody(31, x, y, n, qw);
}

// ---------------------------------------------------------------- dispatch

bool useAvx2() {
    static const bool use = [] {
        const char *forced = std::getenv("QB_KQUANT_BASELINE");
        if (forced && *forced && *forced != '0') return false;
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") != 0;
    }();
    return use;
}

// One AVX2 build and one baseline build of each body; the public function picks at run time.
#define QB_KQUANT_FAST(name, Block, body)                                                          \
    [[gnu::target("avx2")]] void name##Avx2(const float *x, Block *y, int64_t n) { body(x, y, n); } \
    void name##Baseline(const float *x, Block *y, int64_t n) { body(x, y, n); }

#define QB_KQUANT_FAST_IMPORTANCE(name, Block, body)                                                   \
    [[gnu::target("avx2")]] void name##Avx2(const float *x, Block *y, int64_t n, const float *qw) {     \
        body(x, y, n, qw);                                                                             \
    }                                                                                                  \
    void name##Baseline(const float *x, Block *y, int64_t n, const float *qw) { body(x, y, n, qw); }

QB_KQUANT_FAST(q2kRef, BlockQ2K, q2kRefBody)
QB_KQUANT_FAST_IMPORTANCE(q2kImportance, BlockQ2K, q2kImportanceBody)
// Q3_K without importance has no baseline build: its refinement chain needs pminsd / blendv
// (SSE4.1+), and emulated on SSE2 it is slower than the scalar reference, which is used instead.
[[gnu::target("avx2")]] void q3kRefAvx2(const float *x, BlockQ3K *y, int64_t n) { q3kRefBody(x, y, n); }
QB_KQUANT_FAST_IMPORTANCE(q3kImportance, BlockQ3K, q3kImportanceBody)
QB_KQUANT_FAST(q4kRef, BlockQ4K, q4kRefBody)
QB_KQUANT_FAST_IMPORTANCE(q4kImportance, BlockQ4K, q4kImportanceBody)
QB_KQUANT_FAST(q5kRef, BlockQ5K, q5kRefBody)
QB_KQUANT_FAST_IMPORTANCE(q5kImportance, BlockQ5K, q5kImportanceBody)
QB_KQUANT_FAST(q6kRef, BlockQ6K, q6kRefBody)
QB_KQUANT_FAST_IMPORTANCE(q6kImportance, BlockQ6K, q6kBody)

} // namespace

void quantizeQ2KFast(const float *x, BlockQ2K *y, int64_t n) {
    useAvx2() ? q2kRefAvx2(x, y, n) : q2kRefBaseline(x, y, n);
}
void quantizeQ2KImportanceFast(const float *x, BlockQ2K *y, int64_t n, const float *qw) {
    useAvx2() ? q2kImportanceAvx2(x, y, n, qw) : q2kImportanceBaseline(x, y, n, qw);
}
void quantizeQ3KFast(const float *x, BlockQ3K *y, int64_t n) {
    useAvx2() ? q3kRefAvx2(x, y, n) : quantizeQ3KRef(x, y, n);
}
void quantizeQ3KImportanceFast(const float *x, BlockQ3K *y, int64_t n, const float *qw) {
    useAvx2() ? q3kImportanceAvx2(x, y, n, qw) : q3kImportanceBaseline(x, y, n, qw);
}
void quantizeQ4KFast(const float *x, BlockQ4K *y, int64_t n) {
    useAvx2() ? q4kRefAvx2(x, y, n) : q4kRefBaseline(x, y, n);
}
void quantizeQ4KImportanceFast(const float *x, BlockQ4K *y, int64_t n, const float *qw) {
    useAvx2() ? q4kImportanceAvx2(x, y, n, qw) : q4kImportanceBaseline(x, y, n, qw);
}
void quantizeQ5KFast(const float *x, BlockQ5K *y, int64_t n) {
    useAvx2() ? q5kRefAvx2(x, y, n) : q5kRefBaseline(x, y, n);
}
void quantizeQ5KImportanceFast(const float *x, BlockQ5K *y, int64_t n, const float *qw) {
    useAvx2() ? q5kImportanceAvx2(x, y, n, qw) : q5kImportanceBaseline(x, y, n, qw);
}
void quantizeQ6KFast(const float *x, BlockQ6K *y, int64_t n) {
    useAvx2() ? q6kRefAvx2(x, y, n) : q6kRefBaseline(x, y, n);
}
void quantizeQ6KImportanceFast(const float *x, BlockQ6K *y, int64_t n, const float *qw) {
    useAvx2() ? q6kImportanceAvx2(x, y, n, qw) : q6kImportanceBaseline(x, y, n, qw);
}

} // namespace qb::kquant
