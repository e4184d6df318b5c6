// IQ3_XXS and IQ3_S quantization, following ggml-quants.c (b4748) quantize_row_iq3_xxs_impl and
// quantize_row_iq3_s_impl operation for operation: float arithmetic in the same order, the same
// strict comparisons (first candidate wins ties), and ggml's quirks where they change bytes:
//   - IQ3_XXS keeps the chosen levels and on-grid flags of the previous group of the row when no
//     scale candidate is accepted (ggml never resets them within a row). At the start of a row
//     ggml's arrays are uninitialised stack memory; we start from zeros. Only a group whose
//     importance weights are all zero (or non-finite input) can reach that state, and then
//     ggml's own output depends on its stack contents and thread chunking.
//   - IQ3_S advances its qs/signs cursors only for groups that are not exactly zero.
#include "kernels/iq3/iq3_blocks.h"

#include "float_convert.h"
#include "kernels/iq3/iq3_grid_index.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/cpu_features.h"
#include "kernels/first_minimum_avx2.h"

#include <immintrin.h>
#define QB_IQ3_AVX2 1
#endif

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace qb::iq3 {
namespace {

constexpr int kGroup = 32; // weights sharing one scale
constexpr int kQuads = kGroup / 4;
constexpr int kMaxQ = 8;                    // levels per coordinate
constexpr float kXxsGroupEps = 1e-8f;       // GROUP_MAX_EPS_IQ3_XXS
constexpr int kMaxNeighbourSlots = 512 + 3; // a whole grid, padded to a SIMD chunk

// Which code a quantizer instance runs: the scalar reference, the SSE2 forms only (what a CPU
// without AVX2 runs; instantiated separately so the tests can check it on any CPU), or the best
// the CPU has (AVX2 picked at run time).
constexpr int kScalar = 0, kSse2 = 1, kBest = 2;

inline float maxOf(float a, float b) { return a > b ? a : b; } // ggml's MAX macro, NaN behaviour included
inline int clampLevel(int l) { return l < 0 ? 0 : (l > kMaxQ - 1 ? kMaxQ - 1 : l); }
inline int coordinate(uint32_t point, int i) { return int(int8_t((point >> (8 * i)) & 0xff)); }

// Levels and on-grid flags of the last accepted fit; they carry over between groups of a row.
struct GroupFit {
    int8_t L[kGroup] = {};
    bool onGrid[kQuads] = {};
};

// Weighted squared distances from xval (at this scale) to every neighbour of an off-grid tuple,
// each computed as ggml does: d2 = 0, then d2 += w[i] * diff * diff for i = 0..3, diff = scale*q - x.
// The SIMD form runs four neighbours per instruction; every lane does exactly the scalar sequence.
template <int Simd>
void neighbourDistances(const Iq3GridIndex &grid, int key, const uint16_t *list, const float *xval, const float *weight,
                        float scale, float *d2out) {
    const int count = list[0];
#if defined(__SSE2__)
    if constexpr (Simd) {
        const float *soa = grid.neighbourCoords.data() + grid.coordOffset[size_t(key)];
        const __m128 vscale = _mm_set1_ps(scale);
        for (int c = 0; c < (count + 3) / 4; ++c) {
            __m128 d2 = _mm_setzero_ps();
            for (int i = 0; i < 4; ++i) {
                const __m128 q = _mm_loadu_ps(soa + 16 * c + 4 * i);
                const __m128 diff = _mm_sub_ps(_mm_mul_ps(vscale, q), _mm_set1_ps(xval[i]));
                d2 = _mm_add_ps(d2, _mm_mul_ps(_mm_mul_ps(_mm_set1_ps(weight[i]), diff), diff));
            }
            _mm_storeu_ps(d2out + 4 * c, d2);
        }
        return;
    }
#endif
    (void)key;
    for (int j = 0; j < count; ++j) {
        const std::array<float, 4> &q = grid.pointCoords[list[j + 1]];
        float d2 = 0;
        for (int i = 0; i < 4; ++i) {
            const float diff = scale * q[size_t(i)] - xval[i];
            d2 += weight[i] * diff * diff;
        }
        d2out[j] = d2;
    }
}

// Index of the first strict minimum of d2[0..count) below FLT_MAX, or -1: ggml's running
// "if (d2 < best_d2)" scan. The SIMD form takes the minimum four lanes at a time (minps keeps the
// running value when a lane is NaN, as the scan ignores NaN), then the first lane equal to it;
// no data-dependent branches, which the scan mispredicts.
template <int Simd> int firstMinimum(float *d2, int count) {
#if defined(__SSE2__)
    if constexpr (Simd) {
        const int chunks = (count + 3) / 4;
        for (int j = count; j < 4 * chunks; ++j)
            d2[j] = FLT_MAX; // padding lanes never win
        __m128 m = _mm_set1_ps(FLT_MAX);
        for (int c = 0; c < chunks; ++c)
            m = _mm_min_ps(_mm_load_ps(d2 + 4 * c), m);
        m = _mm_min_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(2, 3, 0, 1)));
        m = _mm_min_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(1, 0, 3, 2)));
        if (!(_mm_cvtss_f32(m) < FLT_MAX)) return -1;
        for (int c = 0; c < chunks; ++c) {
            const int hits = _mm_movemask_ps(_mm_cmpeq_ps(_mm_load_ps(d2 + 4 * c), m));
            if (hits) return 4 * c + __builtin_ctz(unsigned(hits));
        }
        return -1;
    }
#endif
    float bestD2 = FLT_MAX;
    int best = -1;
    for (int j = 0; j < count; ++j) {
        if (d2[j] < bestD2) {
            bestD2 = d2[j];
            best = j;
        }
    }
    return best;
}

#if defined(QB_IQ3_AVX2)
// neighbourDistances + firstMinimum, eight neighbours per instruction: each lane computes d2
// exactly as the scalar code; NaN and padding lanes never win. The minimum is taken over all
// lanes (minps keeps the running value when a lane is NaN), then the first lane equal to it,
// which is the scalar scan's first strict minimum below FLT_MAX. Most off-grid tuples have at
// most 8 neighbours (6.9 on average for IQ3_S), so the usual case is one chunk and one movemask.
// Returns the position or -1.
constexpr int kMaxChunks8 = (kMaxNeighbourSlots + 7) / 8;

struct QuadAvx2 {
    __m256 x0, x1, x2, x3, w0, w1, w2, w3;
};

[[gnu::target("avx2"), gnu::always_inline]] inline QuadAvx2 quadAvx2(const float *xval, const float *weight) {
    return {_mm256_set1_ps(xval[0]),   _mm256_set1_ps(xval[1]),   _mm256_set1_ps(xval[2]),   _mm256_set1_ps(xval[3]),
            _mm256_set1_ps(weight[0]), _mm256_set1_ps(weight[1]), _mm256_set1_ps(weight[2]), _mm256_set1_ps(weight[3])};
}

[[gnu::target("avx2"), gnu::always_inline]] inline int firstNearestAvx2(const Iq3GridIndex &grid, int key, int count,
                                                                        const QuadAvx2 &quad, float scale) {
    const float *soa = grid.neighbourCoords8.data() + grid.coordOffset8[size_t(key)];
    const __m256 vscale = _mm256_set1_ps(scale);
    const int chunks = (count + 7) / 8;
    alignas(32) float d2buf[8 * kMaxChunks8];
    __m256 m = _mm256_set1_ps(FLT_MAX);
    for (int c = 0; c < chunks; ++c) {
        const float *chunk = soa + 32 * c;
        __m256 diff = _mm256_sub_ps(_mm256_mul_ps(vscale, _mm256_loadu_ps(chunk)), quad.x0);
        __m256 d2 = _mm256_add_ps(_mm256_setzero_ps(), _mm256_mul_ps(_mm256_mul_ps(quad.w0, diff), diff));
        diff = _mm256_sub_ps(_mm256_mul_ps(vscale, _mm256_loadu_ps(chunk + 8)), quad.x1);
        d2 = _mm256_add_ps(d2, _mm256_mul_ps(_mm256_mul_ps(quad.w1, diff), diff));
        diff = _mm256_sub_ps(_mm256_mul_ps(vscale, _mm256_loadu_ps(chunk + 16)), quad.x2);
        d2 = _mm256_add_ps(d2, _mm256_mul_ps(_mm256_mul_ps(quad.w2, diff), diff));
        diff = _mm256_sub_ps(_mm256_mul_ps(vscale, _mm256_loadu_ps(chunk + 24)), quad.x3);
        d2 = _mm256_add_ps(d2, _mm256_mul_ps(_mm256_mul_ps(quad.w3, diff), diff));
        m = keepChunkAvx2(d2buf, c, count, d2, m);
    }
    return firstMinimumAvx2(d2buf, chunks, m);
}

[[gnu::target("avx2")]] int firstNearestAvx2(const Iq3GridIndex &grid, int key, int count, const float *xval,
                                             const float *weight, float scale) {
    return firstNearestAvx2(grid, key, count, quadAvx2(xval, weight), scale);
}

// All trials of quad k: the map decides on-grid; off-grid levels become the nearest neighbour's
// (as bestNeighbour), with the quad's broadcasts hoisted out of the trial loop.
[[gnu::target("avx2")]] void quadTrialsAvx2(const Iq3GridIndex &grid, int k, int ntrials, const float *xval,
                                            const float *waux, const float *scales, int32_t (*lev)[32],
                                            bool (*onGridT)[kQuads]) {
    const QuadAvx2 quad = quadAvx2(xval + 4 * k, waux + 4 * k);
    for (int t = 0; t < ntrials; ++t) {
        const int key = lev[4 * k][t] | lev[4 * k + 1][t] << 3 | lev[4 * k + 2][t] << 6 | lev[4 * k + 3][t] << 9;
        const int32_t entry = grid.map[size_t(key)];
        if (entry >= 0) {
            onGridT[t][k] = true;
            continue;
        }
        onGridT[t][k] = false;
        const uint16_t *list = grid.neighboursOf(entry);
        const int first = firstNearestAvx2(grid, key, list[0], quad, scales[t]);
        const std::array<int8_t, 4> &levels = grid.pointLevels[size_t(first >= 0 ? list[first + 1] : list[1])];
        for (int j = 0; j < 4; ++j)
            lev[4 * k + j][t] = levels[size_t(j)];
    }
}
#endif

// Among the precomputed neighbours of an off-grid tuple, the grid point closest to xval at this
// scale (weighted); writes its levels to L and returns its index.
template <int Simd>
int bestNeighbour(const Iq3GridIndex &grid, int key, const float *xval, const float *weight, float scale, int8_t *L) {
    const uint16_t *list = grid.neighboursOf(grid.map[size_t(key)]);
    const int count = list[0];
    // ggml keeps the first neighbour whose d2 is strictly below the best so far (starting from
    // FLT_MAX; NaN never wins): the first occurrence of the minimum, if that is below FLT_MAX.
    int first;
#if defined(QB_IQ3_AVX2)
    if (Simd >= kBest && cpuHasAvx2()) {
        first = firstNearestAvx2(grid, key, count, xval, weight, scale);
    } else
#endif
    {
        alignas(16) float d2[kMaxNeighbourSlots];
        neighbourDistances<Simd>(grid, key, list, xval, weight, scale, d2);
        first = firstMinimum<Simd>(d2, count);
    }
    int best = first >= 0 ? list[first + 1] : -1;
    // ggml asserts here; only non-finite input gets this far, and the first neighbour is as good as any.
    if (best < 0) best = list[1];
    const uint32_t point = grid.points[size_t(best)];
    for (int i = 0; i < 4; ++i)
        L[i] = int8_t((coordinate(point, i) - 1) / 2);
    return best;
}

int keyOf(const int8_t *levels) {
    int key = 0;
    for (int i = 0; i < 4; ++i)
        key |= levels[i] << (3 * i);
    return key;
}

// Rounds one quad at inverse scale id to levels; snaps it to the grid if it falls off.
// Returns whether the rounded point was on the grid.
template <int Simd>
bool roundQuad(const Iq3GridIndex &grid, const float *xval, const float *waux, float id, float scale, int8_t *L) {
    for (int i = 0; i < 4; ++i)
        L[i] = int8_t(clampLevel(nearestInt(0.5f * (id * xval[i] - 1))));
    const int key = keyOf(L);
    if (grid.map[size_t(key)] >= 0) return true;
    bestNeighbour<Simd>(grid, key, xval, waux, scale, L);
    return false;
}

void weightedSums(const int8_t *L, const float *xval, const float *weight, float &sumqx, float &sumq2) {
    sumqx = 0;
    sumq2 = 0;
    for (int i = 0; i < kGroup; ++i) {
        const float w = weight[i];
        const float q = float(2 * L[i] + 1);
        sumqx += w * xval[i] * q;
        sumq2 += w * q * q;
    }
}

// The end of both forms of the scale search: when a quad is off the grid, round the quads again
// at the chosen scale (all of them for IQ3_S) and refit the scale to the result.
template <int Simd>
float refitOffGrid(const Iq3GridIndex &grid, const float *xval, const float *weight, const float *waux, bool refitAll,
                   float scale, GroupFit &fit) {
    int offGrid = 0;
    for (bool on : fit.onGrid)
        offGrid += on ? 0 : 1;
    if (offGrid == 0 || !(scale > 0)) return scale;
    const float id = 1 / scale;
    for (int k = 0; k < kQuads; ++k) {
        if (!refitAll && fit.onGrid[k]) continue;
        roundQuad<Simd>(grid, xval + 4 * k, waux + 4 * k, id, scale, fit.L + 4 * k);
    }
    float sumqx, sumq2;
    weightedSums(fit.L, xval, weight, sumqx, sumq2);
    return sumq2 > 0 ? sumqx / sumq2 : scale;
}

// The scale search of both formats: try inverse scales around 15/max, keep the best weighted fit,
// then refit the quads that were off the grid (IQ3_S refits all of them) at the chosen scale.
template <int Simd>
float fitGroup(const Iq3GridIndex &grid, const float *xval, const float *weight, const float *waux, float max,
               int steps, bool refitAll, GroupFit &fit) {
    float best = 0;
    float scale = max / (2 * kMaxQ - 1);
    int8_t Laux[kGroup];
    bool onGridAux[kQuads];
    for (int is = -steps; is <= steps; ++is) {
        const float id = (2 * kMaxQ - 1 + float(is) * 0.2f) / max;
        const float thisScale = 1 / id;
        for (int k = 0; k < kQuads; ++k)
            onGridAux[k] = roundQuad<Simd>(grid, xval + 4 * k, waux + 4 * k, id, thisScale, Laux + 4 * k);
        float sumqx, sumq2;
        weightedSums(Laux, xval, weight, sumqx, sumq2);
        if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
            scale = sumqx / sumq2;
            best = scale * sumqx;
            std::memcpy(fit.L, Laux, sizeof Laux);
            std::memcpy(fit.onGrid, onGridAux, sizeof onGridAux);
        }
    }
    return refitOffGrid<Simd>(grid, xval, weight, waux, refitAll, scale, fit);
}

#if defined(__SSE2__)
// fitGroup's fast form: the scale trials run four to an SSE2 instruction (eight to an AVX2 one
// when the CPU has it and Simd is kBest). Each lane does exactly the scalar sequence of one trial
// (rounding by the magic-constant nearestInt, the clamp, the key, and sumqx/sumq2 accumulated
// over i = 0..31 in order with the same products), so the sums, and with
// them the trial ggml accepts, are bit for bit the scalar ones. Only the off-grid quads (a map
// lookup per quad and trial decides) go through the neighbour search, one at a time as before.
constexpr int kMaxTrials = 32; // 2 * 15 + 1 trials (IQ3_XXS), padded to whole vectors
static_assert(kMaxTrials == 32, "quadTrialsAvx2 takes rows of 32 trials");

// The trials' rounding (levels of every weight in every trial), four trials to an SSE2 lane.
void roundTrialsSse2(const float *ids, const float *xval, int nvec, int32_t (*lev)[kMaxTrials]) {
    const __m128 half = _mm_set1_ps(0.5f), one = _mm_set1_ps(1.f), magic = _mm_set1_ps(12582912.f);
    const __m128i mantissa = _mm_set1_epi32(0x007fffff), bias = _mm_set1_epi32(0x00400000);
    const __m128i zero = _mm_setzero_si128(), top = _mm_set1_epi32(kMaxQ - 1);
    for (int i = 0; i < kGroup; ++i) {
        const __m128 x = _mm_set1_ps(xval[i]);
        for (int v = 0; v < nvec; ++v) {
            const __m128 arg = _mm_mul_ps(half, _mm_sub_ps(_mm_mul_ps(_mm_load_ps(ids + 4 * v), x), one));
            __m128i l = _mm_sub_epi32(_mm_and_si128(_mm_castps_si128(_mm_add_ps(arg, magic)), mantissa), bias);
            l = _mm_and_si128(l, _mm_cmpgt_epi32(l, zero)); // l < 0 -> 0
            const __m128i over = _mm_cmpgt_epi32(l, top);
            l = _mm_or_si128(_mm_andnot_si128(over, l), _mm_and_si128(over, top));
            _mm_store_si128(reinterpret_cast<__m128i *>(lev[i] + 4 * v), l);
        }
    }
}

// sumqx and sumq2 of every trial over i = 0..31 in order, four trials to an SSE2 lane.
void trialSumsSse2(const int32_t (*lev)[kMaxTrials], const float *xval, const float *weight, int nvec, float *sumqx,
                   float *sumq2) {
    for (int v = 0; v < nvec; ++v) {
        __m128 sqx = _mm_setzero_ps(), sq2 = _mm_setzero_ps();
        for (int i = 0; i < kGroup; ++i) {
            const __m128i l = _mm_load_si128(reinterpret_cast<const __m128i *>(lev[i] + 4 * v));
            const __m128 q = _mm_cvtepi32_ps(_mm_add_epi32(_mm_add_epi32(l, l), _mm_set1_epi32(1)));
            const __m128 w = _mm_set1_ps(weight[i]);
            sqx = _mm_add_ps(sqx, _mm_mul_ps(_mm_mul_ps(w, _mm_set1_ps(xval[i])), q));
            sq2 = _mm_add_ps(sq2, _mm_mul_ps(_mm_mul_ps(w, q), q));
        }
        _mm_store_ps(sumqx + 4 * v, sqx);
        _mm_store_ps(sumq2 + 4 * v, sq2);
    }
}

#if defined(QB_IQ3_AVX2)
// roundTrialsSse2 eight trials to a lane: the same operations, lane for lane.
[[gnu::target("avx2")]] void roundTrialsAvx2(const float *ids, const float *xval, int nvec8,
                                             int32_t (*lev)[kMaxTrials]) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.f), magic = _mm256_set1_ps(12582912.f);
    const __m256i mantissa = _mm256_set1_epi32(0x007fffff), bias = _mm256_set1_epi32(0x00400000);
    const __m256i zero = _mm256_setzero_si256(), top = _mm256_set1_epi32(kMaxQ - 1);
    for (int i = 0; i < kGroup; ++i) {
        const __m256 x = _mm256_set1_ps(xval[i]);
        for (int v = 0; v < nvec8; ++v) {
            const __m256 arg = _mm256_mul_ps(half, _mm256_sub_ps(_mm256_mul_ps(_mm256_load_ps(ids + 8 * v), x), one));
            __m256i l = _mm256_sub_epi32(_mm256_and_si256(_mm256_castps_si256(_mm256_add_ps(arg, magic)), mantissa), bias);
            l = _mm256_and_si256(l, _mm256_cmpgt_epi32(l, zero)); // l < 0 -> 0
            const __m256i over = _mm256_cmpgt_epi32(l, top);
            l = _mm256_or_si256(_mm256_andnot_si256(over, l), _mm256_and_si256(over, top));
            _mm256_store_si256(reinterpret_cast<__m256i *>(lev[i] + 8 * v), l);
        }
    }
}

// trialSumsSse2 eight trials to a lane (separate multiplies and adds: this target has no FMA to contract to).
[[gnu::target("avx2")]] void trialSumsAvx2(const int32_t (*lev)[kMaxTrials], const float *xval, const float *weight,
                                           int nvec8, float *sumqx, float *sumq2) {
    for (int v = 0; v < nvec8; ++v) {
        __m256 sqx = _mm256_setzero_ps(), sq2 = _mm256_setzero_ps();
        for (int i = 0; i < kGroup; ++i) {
            const __m256i l = _mm256_load_si256(reinterpret_cast<const __m256i *>(lev[i] + 8 * v));
            const __m256 q = _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_add_epi32(l, l), _mm256_set1_epi32(1)));
            const __m256 w = _mm256_set1_ps(weight[i]);
            sqx = _mm256_add_ps(sqx, _mm256_mul_ps(_mm256_mul_ps(w, _mm256_set1_ps(xval[i])), q));
            sq2 = _mm256_add_ps(sq2, _mm256_mul_ps(_mm256_mul_ps(w, q), q));
        }
        _mm256_store_ps(sumqx + 8 * v, sqx);
        _mm256_store_ps(sumq2 + 8 * v, sq2);
    }
}
#endif

template <int Simd>
float fitGroupTrials(const Iq3GridIndex &grid, const float *xval, const float *weight, const float *waux, float max,
                     int steps, bool refitAll, GroupFit &fit) {
    const int ntrials = 2 * steps + 1;
    const int nvec = (ntrials + 3) / 4;  // SSE2 vectors of trials
    const int nvec8 = (ntrials + 7) / 8; // AVX2 vectors of trials
#if defined(QB_IQ3_AVX2)
    const bool avx2 = Simd >= kBest && cpuHasAvx2();
#else
    const bool avx2 = false;
#endif
    alignas(32) float ids[kMaxTrials];
    alignas(32) float scales[kMaxTrials];
    for (int t = 0; t < (avx2 ? 8 * nvec8 : 4 * nvec); ++t) {
        const int is = (t < ntrials ? t : ntrials - 1) - steps; // padding lanes repeat the last trial
        ids[t] = (2 * kMaxQ - 1 + float(is) * 0.2f) / max;
        scales[t] = 1 / ids[t];
    }
    alignas(32) int32_t lev[kGroup][kMaxTrials]; // levels of weight i in trial t
    if (avx2) {
#if defined(QB_IQ3_AVX2)
        roundTrialsAvx2(ids, xval, nvec8, lev);
#endif
    } else {
        roundTrialsSse2(ids, xval, nvec, lev);
    }
    bool onGridT[kMaxTrials][kQuads];
    for (int k = 0; k < kQuads; ++k) {
#if defined(QB_IQ3_AVX2)
        if (avx2) {
            quadTrialsAvx2(grid, k, ntrials, xval, waux, scales, lev, onGridT);
            continue;
        }
#endif
        for (int t = 0; t < ntrials; ++t) {
            const int key = lev[4 * k][t] | lev[4 * k + 1][t] << 3 | lev[4 * k + 2][t] << 6 | lev[4 * k + 3][t] << 9;
            if (grid.map[size_t(key)] >= 0) {
                onGridT[t][k] = true;
                continue;
            }
            onGridT[t][k] = false;
            int8_t L[4];
            bestNeighbour<Simd>(grid, key, xval + 4 * k, waux + 4 * k, scales[t], L);
            for (int j = 0; j < 4; ++j)
                lev[4 * k + j][t] = L[j];
        }
    }
    alignas(32) float sumqx[kMaxTrials], sumq2[kMaxTrials];
    if (avx2) {
#if defined(QB_IQ3_AVX2)
        trialSumsAvx2(lev, xval, weight, nvec8, sumqx, sumq2);
#endif
    } else {
        trialSumsSse2(lev, xval, weight, nvec, sumqx, sumq2);
    }
    float best = 0;
    float scale = max / (2 * kMaxQ - 1);
    int chosen = -1;
    for (int t = 0; t < ntrials; ++t) {
        if (sumq2[t] > 0 && sumqx[t] * sumqx[t] > best * sumq2[t]) {
            scale = sumqx[t] / sumq2[t];
            best = scale * sumqx[t];
            chosen = t;
        }
    }
    if (chosen >= 0) {
        for (int i = 0; i < kGroup; ++i)
            fit.L[i] = int8_t(lev[i][chosen]);
        std::memcpy(fit.onGrid, onGridT[chosen], sizeof fit.onGrid);
    }
    return refitOffGrid<Simd>(grid, xval, weight, waux, refitAll, scale, fit);
}
#endif

template <int Simd>
float fitGroupFor(const Iq3GridIndex &grid, const float *xval, const float *weight, const float *waux, float max,
                  int steps, bool refitAll, GroupFit &fit) {
#if defined(__SSE2__)
    if constexpr (Simd != kScalar) return fitGroupTrials<Simd>(grid, xval, weight, waux, max, steps, refitAll, fit);
#endif
    return fitGroup<Simd>(grid, xval, weight, waux, max, steps, refitAll, fit);
}

// Per-weight importance: with an importance vector, qw * sqrt(sigma2 + x^2); without, x^2.
void groupWeights(const float *xb, const float *qw, float sigma2, float *weight, float *waux) {
    if (qw) {
        for (int i = 0; i < kGroup; ++i)
            weight[i] = qw[i] * std::sqrt(sigma2 + xb[i] * xb[i]);
    } else {
        for (int i = 0; i < kGroup; ++i)
            weight[i] = xb[i] * xb[i];
    }
    for (int i = 0; i < kGroup; ++i)
        waux[i] = std::sqrt(weight[i]);
}

float superBlockSigma2(const float *xbl) {
    float sumx2 = 0;
    for (int i = 0; i < kSuperBlock; ++i)
        sumx2 += xbl[i] * xbl[i];
    return 2 * sumx2 / kSuperBlock;
}

int gridIndexOf(const Iq3GridIndex &grid, const int8_t *L) {
    const int32_t entry = grid.map[size_t(keyOf(L))];
    return entry >= 0 ? entry : 0; // the fit only produces on-grid levels; ggml asserts this
}

template <int Simd>
void quantizeRowXxs(const Iq3GridIndex &grid, const float *x, BlockIq3Xxs *y, int64_t nblocks, const float *qwRow) {
    GroupFit fit; // carries over between groups, as ggml's function-scope arrays do
    float scales[kSuperBlock / kGroup];
    float weight[kGroup], waux[kGroup], xval[kGroup];
    uint8_t blockSigns[4];
    for (int64_t ibl = 0; ibl < nblocks; ++ibl) {
        uint8_t q3[3 * kSuperBlock / 8] = {};
        y[ibl].d = fp32ToFp16(0.f);
        const float *xbl = x + kSuperBlock * ibl;
        const float sigma2 = superBlockSigma2(xbl);
        float maxScale = 0;
        for (int ib = 0; ib < kSuperBlock / kGroup; ++ib) {
            const float *xb = xbl + kGroup * ib;
            groupWeights(xb, qwRow ? qwRow + kSuperBlock * ibl + kGroup * ib : nullptr, sigma2, weight, waux);
            // Magnitudes, and 7 stored signs per 8: an odd count of negatives flips the least important one.
            for (int k = 0; k < 4; ++k) {
                int nflip = 0;
                uint8_t s = 0;
                for (int i = 0; i < 8; ++i) {
                    const float v = xb[8 * k + i];
                    if (v >= 0) {
                        xval[8 * k + i] = v;
                    } else {
                        xval[8 * k + i] = -v;
                        ++nflip;
                        s |= uint8_t(1 << i);
                    }
                }
                if (nflip % 2) {
                    int imin = 0;
                    float min = weight[8 * k] * xb[8 * k] * xb[8 * k];
                    for (int i = 1; i < 8; ++i) {
                        const float ax = weight[8 * k + i] * xb[8 * k + i] * xb[8 * k + i];
                        if (ax < min) {
                            min = ax;
                            imin = i;
                        }
                    }
                    xval[8 * k + imin] = -xval[8 * k + imin];
                    s ^= uint8_t(1 << imin);
                }
                blockSigns[k] = s & 127;
            }
            float max = xval[0];
            for (int i = 1; i < kGroup; ++i)
                max = maxOf(max, xval[i]);
            if (max < kXxsGroupEps) {
                scales[ib] = 0;
                std::memset(fit.L, 0, sizeof fit.L);
                continue;
            }
            float scale = fitGroupFor<Simd>(grid, xval, weight, waux, max, 15, false, fit);
            if (scale < 0) {
                scale = -scale;
                for (uint8_t &s : blockSigns)
                    s = uint8_t(~s) & 127;
            }
            for (int k = 0; k < kQuads; ++k)
                q3[8 * ib + k] = uint8_t(gridIndexOf(grid, fit.L + 4 * k));
            const uint32_t signsAndScale = uint32_t(blockSigns[0]) | uint32_t(blockSigns[1]) << 7 |
                                           uint32_t(blockSigns[2]) << 14 | uint32_t(blockSigns[3]) << 21;
            std::memcpy(q3 + kSuperBlock / 4 + 4 * ib, &signsAndScale, 4);
            scales[ib] = scale;
            maxScale = maxOf(maxScale, scale);
        }
        if (maxScale == 0) {
            std::memset(y[ibl].qs, 0, sizeof y[ibl].qs);
            continue;
        }
        const float d = maxScale / 31;
        y[ibl].d = fp32ToFp16(d * 1.0125f); // ggml's fudge factor
        const float id = 1 / d;
        for (int ib = 0; ib < kSuperBlock / kGroup; ++ib) {
            int l = nearestInt(0.5f * (id * scales[ib] - 1));
            l = l < 0 ? 0 : (l > 15 ? 15 : l);
            uint32_t word;
            std::memcpy(&word, q3 + kSuperBlock / 4 + 4 * ib, 4);
            word |= uint32_t(l) << 28;
            std::memcpy(q3 + kSuperBlock / 4 + 4 * ib, &word, 4);
        }
        std::memcpy(y[ibl].qs, q3, sizeof q3);
    }
}

template <int Simd>
void quantizeRowS(const Iq3GridIndex &grid, const float *x, BlockIq3S *y, int64_t nblocks, const float *qwRow) {
    GroupFit fit;
    float scales[kSuperBlock / kGroup];
    float weight[kGroup], waux[kGroup], xval[kGroup];
    uint8_t blockSigns[kGroup / 8];
    for (int64_t ibl = 0; ibl < nblocks; ++ibl) {
        BlockIq3S &out = y[ibl];
        std::memset(&out, 0, sizeof out);
        out.d = fp32ToFp16(0.f);
        uint8_t *qs = out.qs;
        uint8_t *signs = out.signs;
        const float *xbl = x + kSuperBlock * ibl;
        const float sigma2 = superBlockSigma2(xbl);
        float maxScale = 0;
        for (int ib = 0; ib < kSuperBlock / kGroup; ++ib) {
            const float *xb = xbl + kGroup * ib;
            groupWeights(xb, qwRow ? qwRow + kSuperBlock * ibl + kGroup * ib : nullptr, sigma2, weight, waux);
            for (int k = 0; k < kGroup / 8; ++k) {
                uint8_t s = 0;
                for (int i = 0; i < 8; ++i) {
                    const float v = xb[8 * k + i];
                    if (v >= 0) {
                        xval[8 * k + i] = v;
                    } else {
                        xval[8 * k + i] = -v;
                        s |= uint8_t(1 << i);
                    }
                }
                blockSigns[k] = s;
            }
            float max = xval[0];
            for (int i = 1; i < kGroup; ++i)
                max = maxOf(max, xval[i]);
            if (max == 0) {
                scales[ib] = 0;
                continue; // ggml skips the cursor advance below too
            }
            for (bool &on : fit.onGrid)
                on = false;
            float scale = fitGroupFor<Simd>(grid, xval, weight, waux, max, 9, true, fit);
            if (scale < 0) {
                scale = -scale;
                for (uint8_t &s : blockSigns)
                    s = uint8_t(~s);
            }
            for (int k = 0; k < kQuads; ++k) {
                const int index = gridIndexOf(grid, fit.L + 4 * k);
                const int slot = ib * kQuads + k;
                qs[k] = uint8_t(index & 255);
                out.qh[slot / 8] |= uint8_t((index >> 8) << (slot % 8));
            }
            qs += kQuads;
            std::memcpy(signs, blockSigns, sizeof blockSigns);
            signs += sizeof blockSigns;
            scales[ib] = scale;
            maxScale = maxOf(maxScale, scale);
        }
        if (maxScale == 0) continue;
        const float d = maxScale / 31;
        out.d = fp32ToFp16(d * 1.033f); // ggml's fudge factor
        const float id = 1 / d;
        for (int ib = 0; ib < kSuperBlock / kGroup; ib += 2) {
            int l1 = nearestInt(0.5f * (id * scales[ib] - 1));
            l1 = l1 < 0 ? 0 : (l1 > 15 ? 15 : l1);
            int l2 = nearestInt(0.5f * (id * scales[ib + 1] - 1));
            l2 = l2 < 0 ? 0 : (l2 > 15 ? 15 : l2);
            out.scales[ib / 2] = uint8_t(l1 | (l2 << 4));
        }
    }
}

template <int Simd>
size_t quantizeXxsRows(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    const Iq3GridIndex &grid = iq3GridIndex(Iq3Codebook::Xxs256);
    const int64_t nblocks = ncols / kSuperBlock;
    auto *out = static_cast<BlockIq3Xxs *>(dst);
    for (int64_t r = 0; r < nrows; ++r)
        quantizeRowXxs<Simd>(grid, src + r * ncols, out + r * nblocks, nblocks, importance);
    return size_t(nrows * nblocks) * sizeof(BlockIq3Xxs);
}

template <int Simd>
size_t quantizeSRows(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    const Iq3GridIndex &grid = iq3GridIndex(Iq3Codebook::S512);
    const int64_t nblocks = ncols / kSuperBlock;
    auto *out = static_cast<BlockIq3S *>(dst);
    for (int64_t r = 0; r < nrows; ++r)
        quantizeRowS<Simd>(grid, src + r * ncols, out + r * nblocks, nblocks, importance);
    return size_t(nrows * nblocks) * sizeof(BlockIq3S);
}

} // namespace

size_t quantizeIq3Xxs(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeXxsRows<kBest>(src, dst, nrows, ncols, importance);
}

size_t quantizeIq3XxsReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeXxsRows<kScalar>(src, dst, nrows, ncols, importance);
}

size_t quantizeIq3S(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeSRows<kBest>(src, dst, nrows, ncols, importance);
}

size_t quantizeIq3XxsSse2(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeXxsRows<kSse2>(src, dst, nrows, ncols, importance);
}

size_t quantizeIq3SSse2(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeSRows<kSse2>(src, dst, nrows, ncols, importance);
}

size_t quantizeIq3SReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeSRows<kScalar>(src, dst, nrows, ncols, importance);
}

} // namespace qb::iq3
