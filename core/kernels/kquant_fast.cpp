// The fast K-quant quantizers. Each super-block's sub-blocks are searched together, one per
// SIMD lane (kquant_lanes.h), then the reference's finishing stage (kquant_stages.h) produces
// the block. Each body is compiled twice: for AVX2 and for the x86-64 baseline; a runtime
// check picks one. Setting QB_KQUANT_BASELINE=1 in the environment forces the baseline build
// (so tests can exercise it on AVX2 machines).
#include "kernels/kquant_fast.h"

#include "kernels/kquant_lanes.h"
#include "kernels/kquant_stages.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace qb::kquant {
namespace {

using namespace lanes;
using F8 = Vec<8>::F;
using I8 = Vec<8>::I;

template <typename V>
QB_LANES_INLINE void storeLanes(const V &v, float *out) {
    std::memcpy(out, &v, sizeof v);
}

template <typename V>
QB_LANES_INLINE V loadLanes(const float *in) {
    V v;
    std::memcpy(&v, in, sizeof v);
    return v;
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

// Per-lane sums of the transposed weights, each in element order from zero.
template <int N, int n>
QB_LANES_INLINE void laneSums(const typename Vec<N>::F *wt, float *out) {
    typename Vec<N>::F s = splat<N>(0.f);
    for (int i = 0; i < n; ++i) s += wt[i];
    storeLanes(s, out);
}

// ---------------------------------------------------------------- bodies

// Types with 16 sub-blocks of 16 run as two halves of 8 lanes: 8 x float32 is one AVX2
// register, and GCC lowers wider generic vectors poorly.

QB_LANES_INLINE void q2kRefBody(const float *x, BlockQ2K *y, int64_t n) {
    F8 xt[16], wt[16];
    I8 Lt[16];
    uint8_t L[QK_K];
    float scales[16], mins[16];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        for (int h = 0; h < 2; ++h) {
            transpose<8, 16>(x + 128 * h, xt);
            for (int i = 0; i < 16; ++i) wt[i] = absf<8>(xt[i]);
            F8 theMin;
            storeLanes(searchMinScale<8, 16>(xt, wt, 3, -0.5f, 0.1f, 15, true, false, Lt, theMin), scales + 8 * h);
            storeLanes(theMin, mins + 8 * h);
            untranspose<8, 16>(Lt, L + 128 * h);
        }
        finishQ2KRef(x, scales, mins, L, y[b]);
    }
}

QB_LANES_INLINE void q2kImportanceBody(const float *x, BlockQ2K *y, int64_t n, const float *qw) {
    F8 xt[16], wt[16];
    I8 Lt[16];
    uint8_t L[QK_K];
    float w[QK_K], scales[16], mins[16], sw[16];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        const float sigma2 = sumSquares(x) / QK_K;
        importanceWeights(x, qw + QK_K * b, sigma2, w);
        for (int h = 0; h < 2; ++h) {
            transpose<8, 16>(x + 128 * h, xt);
            transpose<8, 16>(w + 128 * h, wt);
            laneSums<8, 16>(wt, sw + 8 * h);
            F8 theMin;
            storeLanes(searchMinScale<8, 16>(xt, wt, 3, -0.9f, 0.05f, 36, false, true, Lt, theMin), scales + 8 * h);
            storeLanes(theMin, mins + 8 * h);
            untranspose<8, 16>(Lt, L + 128 * h);
        }
        finishQ2KImportance(x, scales, mins, sw, L, y[b]);
    }
}

QB_LANES_INLINE void q3kRefBody(const float *x, BlockQ3K *y, int64_t n) {
    F8 xt[16];
    I8 Lt[16];
    int8_t L[QK_K];
    float scales[16];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        for (int h = 0; h < 2; ++h) {
            transpose<8, 16>(x + 128 * h, xt);
            storeLanes(searchQ3<8, 16>(xt, 4, Lt), scales + 8 * h);
            untranspose<8, 16>(Lt, L + 128 * h);
        }
        finishQ3KRef(x, scales, L, y[b]);
    }
}

QB_LANES_INLINE void q3kImportanceBody(const float *x, BlockQ3K *y, int64_t n, const float *qw) {
    F8 xt[16], wt[16];
    I8 Lt[16];
    int8_t L[QK_K];
    float w[QK_K], scales[16], sw[16];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        const float sigma2 = 2 * sumSquares(x) / QK_K;
        importanceWeights(x, qw + QK_K * b, sigma2, w);
        for (int h = 0; h < 2; ++h) {
            transpose<8, 16>(x + 128 * h, xt);
            transpose<8, 16>(w + 128 * h, wt);
            laneSums<8, 16>(wt, sw + 8 * h);
            storeLanes(searchSymmetric<8, 16>(xt, wt, 4, Lt), scales + 8 * h);
            untranspose<8, 16>(Lt, L + 128 * h);
        }
        finishQ3KImportance(x, scales, sw, L, y[b]);
    }
}

// Q4_K (nmax 15) and Q5_K (nmax 31) without importance: the search stage of the reference.
QB_LANES_INLINE void scaleMinRefSearch(int nmax, const float *x, float *scales, float *mins, uint8_t *L) {
    const float rmin = nmax == 15 ? -1.f : -0.5f;
    const int steps = nmax == 15 ? 20 : 15;
    F8 xt[32], wt[32];
    I8 Lt[32];
    transpose<8, 32>(x, xt);
    F8 sumX2 = splat<8>(0.f);
    for (int i = 0; i < 32; ++i) sumX2 += xt[i] * xt[i];
    float s[8], avX[8];
    storeLanes(sumX2, s);
    for (int k = 0; k < 8; ++k) avX[k] = std::sqrt(s[k] / 32);
    const F8 av = loadLanes<F8>(avX);
    for (int i = 0; i < 32; ++i) wt[i] = av + absf<8>(xt[i]);
    F8 theMin;
    storeLanes(searchMinScale<8, 32>(xt, wt, nmax, rmin, 0.1f, steps, false, false, Lt, theMin), scales);
    storeLanes(theMin, mins);
    untranspose<8, 32>(Lt, L);
}

// Q4_K / Q5_K with importance: the search stage of quantize_row_qX_K_impl.
QB_LANES_INLINE void scaleMinImportanceSearch(int nmax, const float *x, const float *qw, float *scales, float *mins,
                                              float *sw, uint8_t *L) {
    F8 xt[32], wt[32];
    I8 Lt[32];
    float w[QK_K];
    const float sigma2 = 2 * sumSquares(x) / QK_K;
    importanceWeights(x, qw, sigma2, w);
    transpose<8, 32>(x, xt);
    transpose<8, 32>(w, wt);
    laneSums<8, 32>(wt, sw);
    F8 theMin;
    storeLanes(searchMinScale<8, 32>(xt, wt, nmax, -0.9f, 0.05f, 36, false, true, Lt, theMin), scales);
    storeLanes(theMin, mins);
    untranspose<8, 32>(Lt, L);
}

QB_LANES_INLINE void q4kRefBody(const float *x, BlockQ4K *y, int64_t n) {
    uint8_t L[QK_K];
    float scales[8], mins[8];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        scaleMinRefSearch(15, x, scales, mins, L);
        finishScaleMinRef(15, x, scales, mins, L, y[b].d, y[b].dmin, y[b].scales);
        packQ4K(L, y[b].qs);
    }
}

QB_LANES_INLINE void q4kImportanceBody(const float *x, BlockQ4K *y, int64_t n, const float *qw) {
    uint8_t L[QK_K];
    float scales[8], mins[8], sw[8];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        scaleMinImportanceSearch(15, x, qw + QK_K * b, scales, mins, sw, L);
        finishScaleMinImportance(15, x, scales, mins, sw, L, y[b].d, y[b].dmin, y[b].scales);
        packQ4K(L, y[b].qs);
    }
}

QB_LANES_INLINE void q5kRefBody(const float *x, BlockQ5K *y, int64_t n) {
    uint8_t L[QK_K];
    float scales[8], mins[8];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        scaleMinRefSearch(31, x, scales, mins, L);
        finishScaleMinRef(31, x, scales, mins, L, y[b].d, y[b].dmin, y[b].scales);
        packQ5K(L, y[b]);
    }
}

QB_LANES_INLINE void q5kImportanceBody(const float *x, BlockQ5K *y, int64_t n, const float *qw) {
    uint8_t L[QK_K];
    float scales[8], mins[8], sw[8];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        scaleMinImportanceSearch(31, x, qw + QK_K * b, scales, mins, sw, L);
        finishScaleMinImportance(31, x, scales, mins, sw, L, y[b].d, y[b].dmin, y[b].scales);
        packQ5K(L, y[b]);
    }
}

// Q6_K: qw null means ggml's rmse_type 1 weights x*x.
QB_LANES_INLINE void q6kBody(const float *x, BlockQ6K *y, int64_t n, const float *qw) {
    F8 xt[16], wt[16];
    I8 Lt[16];
    int8_t L[QK_K];
    float scales[16];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        for (int h = 0; h < 2; ++h) {
            transpose<8, 16>(x + 128 * h, xt);
            if (qw) {
                transpose<8, 16>(qw + QK_K * b + 128 * h, wt);
            } else {
                for (int i = 0; i < 16; ++i) wt[i] = xt[i] * xt[i];
            }
            storeLanes(searchSymmetric<8, 16>(xt, wt, 32, Lt), scales + 8 * h);
            untranspose<8, 16>(Lt, L + 128 * h);
        }
        finishQ6K(x, scales, L, y[b]);
    }
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
#define QB_KQUANT_FAST(publicName, Block, body)                                                          \
    [[gnu::target("avx2")]] void publicName##Avx2(const float *x, Block *y, int64_t n) { body(x, y, n); } \
    void publicName##Baseline(const float *x, Block *y, int64_t n) { body(x, y, n); }

#define QB_KQUANT_FAST_IMPORTANCE(publicName, Block, body)                                      \
    [[gnu::target("avx2")]] void publicName##Avx2(const float *x, Block *y, int64_t n, const float *qw) { \
        body(x, y, n, qw);                                                                      \
    }                                                                                           \
    void publicName##Baseline(const float *x, Block *y, int64_t n, const float *qw) { body(x, y, n, qw); }

QB_LANES_INLINE void q6kRefBody(const float *x, BlockQ6K *y, int64_t n) { q6kBody(x, y, n, nullptr); }

QB_KQUANT_FAST(q2kRef, BlockQ2K, q2kRefBody)
QB_KQUANT_FAST_IMPORTANCE(q2kImportance, BlockQ2K, q2kImportanceBody)
QB_KQUANT_FAST(q3kRef, BlockQ3K, q3kRefBody)
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
    useAvx2() ? q3kRefAvx2(x, y, n) : q3kRefBaseline(x, y, n);
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
