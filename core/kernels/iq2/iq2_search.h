// Search steps shared by the IQ2 and IQ1 quantizers (internal to core/kernels).
//
// Contract: every function performs ggml's float operations in ggml's order. Where a step has
// a Fast form (template flag), it computes the same values differently (tabulated terms,
// vector lanes that each do one scalar's operations) and is tested equal to the plain form.
#pragma once

#include "error.h"
#include "ggml_types.h"
#include "kernels/iq2/iq2_grid_index.h"
#include "kernels/quant_search.h"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include "kernels/cpu_features.h"
#include "kernels/first_minimum_avx2.h"

#include <immintrin.h>
#define QB_IQ2_AVX2 1
#endif

namespace qb::iq2 {

// Shared by the IQ2 and IQ1 quantizers: throws qb::Error when importance data is missing or when
// a weight or importance value is not finite.
void checkQuantizeInputs(GgmlType type, const float *src, int64_t nrows, int64_t ncols, const float *importance);

} // namespace qb::iq2

namespace qb::iq2::detail {

typedef float Lanes4 __attribute__((vector_size(16)));
typedef int32_t Ints4 __attribute__((vector_size(16)));

constexpr int kMaxQ = 3;  // levels 0..2 -> values 1, 3, 5

inline float maxOf(float a, float b) { return a > b ? a : b; }  // ggml's MAX, NaN order included
inline int clampLevel(int l) { return l < 0 ? 0 : l > kMaxQ - 1 ? kMaxQ - 1 : l; }

// Magnitudes of eight values and their sign bits; with evenParity an odd count of minus signs
// is made even by flipping the element with the smallest weight * x^2 (its magnitude goes
// negative, exactly as ggml does). Returns the sign byte (7 bits when evenParity).
inline uint8_t foldSigns(const float *x, const float *weight, float *xval, bool evenParity) {
    int nflip = 0;
    uint8_t s = 0;
    for (int i = 0; i < 8; ++i) {
        if (x[i] >= 0) {
            xval[i] = x[i];
        } else {
            xval[i] = -x[i];
            ++nflip;
            s |= uint8_t(1 << i);
        }
    }
    if (!evenParity) return s;
    if (nflip % 2) {
        int imin = 0;
        float min = weight[0] * x[0] * x[0];
        for (int i = 1; i < 8; ++i) {
            const float ax = weight[i] * x[i] * x[i];
            if (ax < min) {
                min = ax;
                imin = i;
            }
        }
        xval[imin] = -xval[imin];
        s ^= uint8_t(1 << imin);
    }
    return s & 127;
}

#if defined(QB_IQ2_AVX2)
// The Fast form's search, eight candidates to an AVX2 instruction: the terms ggml adds
// (waux * diff * diff, diff = scale * (2l+1) - x) are computed per element and level as the
// scalar form computes them, two elements to a register; each lane picks its candidate's term
// for element i by the level in its key (a lane permute) and adds it in element order, exactly
// the scalar additions. Padding and NaN lanes never win; of the minimum below FLT_MAX the first
// position wins, as ggml's strict "d2 < best" scan. keys: the candidates' keys (list order).
// Returns the position (0-based) or -1. On IQ2_S the scalar scan was a third of a whole-model run.
[[gnu::target("avx2")]] inline int firstNearestAvx2(const int32_t *keys, int count, const float *xval,
                                                    const float *waux, float scale) {
    const __m256 q = _mm256_setr_ps(1, 3, 5, 7, 1, 3, 5, 7);
    const __m256 vscale = _mm256_set1_ps(scale);
    __m256 term[4]; // elements 2r (lanes 0-3) and 2r+1 (lanes 4-7), levels 0..3
    for (int r = 0; r < 4; ++r) {
        const __m256 x = _mm256_setr_ps(xval[2 * r], xval[2 * r], xval[2 * r], xval[2 * r], xval[2 * r + 1],
                                        xval[2 * r + 1], xval[2 * r + 1], xval[2 * r + 1]);
        const __m256 w = _mm256_setr_ps(waux[2 * r], waux[2 * r], waux[2 * r], waux[2 * r], waux[2 * r + 1],
                                        waux[2 * r + 1], waux[2 * r + 1], waux[2 * r + 1]);
        const __m256 diff = _mm256_sub_ps(_mm256_mul_ps(vscale, q), x);
        term[r] = _mm256_mul_ps(_mm256_mul_ps(w, diff), diff);
    }
    const __m256i three = _mm256_set1_epi32(3), odd = _mm256_set1_epi32(4);
    constexpr int kMaxChunks = 2048 / 8; // no list is longer than the largest codebook
    const int chunks = (count + 7) / 8;
    alignas(32) float d2buf[8 * kMaxChunks];
    __m256 m = _mm256_set1_ps(FLT_MAX);
    for (int c = 0; c < chunks; ++c) {
        __m256i k = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(keys + 8 * c));
        __m256 d2 = _mm256_setzero_ps();
        for (int i = 0; i < 8; i += 2) {
            const __m256i even = _mm256_and_si256(k, three);
            const __m256i oddLevel = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(k, 2), three), odd);
            k = _mm256_srli_epi32(k, 4);
            d2 = _mm256_add_ps(d2, _mm256_permutevar8x32_ps(term[i / 2], even));
            d2 = _mm256_add_ps(d2, _mm256_permutevar8x32_ps(term[i / 2], oddLevel));
        }
        m = keepChunkAvx2(d2buf, c, count, d2, m);
    }
    return firstMinimumAvx2(d2buf, chunks, m);
}
#endif

// ggml's iq2_find_best_neighbour: the candidate with the smallest weighted squared error at
// `scale`; writes its levels to L and returns its position. The Fast form first tabulates, per
// element and level, the very term ggml adds (waux * diff * diff), then sums each candidate's
// eight terms in element order: the same float operations on the same values, so the same
// winner, at a fraction of the cost for long neighbour lists.
template <bool Fast>
int bestNeighbour(const GridIndex &grid, uint16_t key, const float *xval, const float *waux, float scale, int8_t *L) {
    const uint16_t *list = grid.neighboursOf(key);
    const int count = list[0];
    if (count <= 0) throw Error("IQ2 quantizer: level pattern " + std::to_string(key) + " has no grid neighbours");
    float bestD2 = FLT_MAX;
    int best = -1;
    if constexpr (Fast) {
#if defined(QB_IQ2_AVX2)
        if (count <= 2048 && cpuHasAvx2()) {
            const int first = firstNearestAvx2(grid.neighbourKeysOf(key) + 1, count, xval, waux, scale);
            best = first >= 0 ? list[first + 1] : -1;
        } else
#endif
        {
            float term[8][4];
            for (int i = 0; i < 8; ++i) {
                for (int l = 0; l < kMaxQ; ++l) {
                    const float diff = scale * float(2 * l + 1) - xval[i];
                    term[i][l] = waux[i] * diff * diff;
                }
            }
            for (int j = 1; j <= count; ++j) {
                const unsigned k = grid.key(list[j]);
                float d2 = 0;
                for (int i = 0; i < 8; ++i) d2 += term[i][(k >> (2 * i)) & 3];
                if (d2 < bestD2) {
                    bestD2 = d2;
                    best = list[j];
                }
            }
        }
    } else {
        for (int j = 1; j <= count; ++j) {
            const int8_t *pg = grid.point(list[j]);
            float d2 = 0;
            for (int i = 0; i < 8; ++i) {
                const float diff = scale * float(pg[i]) - xval[i];
                d2 += waux[i] * diff * diff;
            }
            if (d2 < bestD2) {
                bestD2 = d2;
                best = list[j];
            }
        }
    }
    if (best < 0) throw Error("IQ2 quantizer: no finite neighbour (non-finite input?)");
    const int8_t *pg = grid.point(best);
    for (int i = 0; i < 8; ++i) L[i] = int8_t((pg[i] - 1) / 2);
    return best;
}

// Levels of eight magnitudes at inverse scale id, packed as a grid key. The Fast form runs
// four elements per vector, each lane doing nearest_int's float add and bit arithmetic.
template <bool Fast>
inline uint16_t levelKey(const float *xval, float id, int8_t *L) {
    uint16_t u = 0;
    if constexpr (Fast) {
        for (int h = 0; h < 8; h += 4) {
            Lanes4 x;
            std::memcpy(&x, xval + h, sizeof(x));
            const Lanes4 shifted = 0.5f * (id * x - 1.0f) + 12582912.f;
            Ints4 l;
            std::memcpy(&l, &shifted, sizeof(l));
            l = (l & 0x007fffff) - 0x00400000;
            l &= ~(l < 0);
            const Ints4 over = l > kMaxQ - 1;
            l = (l & ~over) | (over & (kMaxQ - 1));
            for (int t = 0; t < 4; ++t) {
                L[h + t] = int8_t(l[t]);
                u |= uint16_t(l[t] << (2 * (h + t)));
            }
        }
    } else {
        for (int i = 0; i < 8; ++i) {
            L[i] = int8_t(clampLevel(nearestInt(0.5f * (id * xval[i] - 1))));
            u |= uint16_t(L[i] << (2 * i));
        }
    }
    return u;
}

inline uint16_t packKey(const int8_t *L) {
    uint16_t u = 0;
    for (int i = 0; i < 8; ++i) u |= uint16_t(L[i] << (2 * i));
    return u;
}

// Snaps group k of n/8 to the grid at inverse scale id (neighbour search at `scale`);
// returns whether the rounded pattern was on the grid.
template <bool Fast>
inline bool snapGroup(const GridIndex &grid, const float *xval, const float *waux, float id, float scale, int8_t *L) {
    const uint16_t u = levelKey<Fast>(xval, id, L);
    if (grid.pointIndex(u) >= 0) return true;
    bestNeighbour<Fast>(grid, u, xval, waux, scale, L);
    return false;
}

// sumqx = sum w*x*q and sumq2 = sum w*q*q over a group with q = 2L+1, in element order. The
// Fast form tabulates each element's two products for the three levels once per group (they
// do not change between trial scales), leaving only the ordered additions per trial.
template <int N, bool Fast>
class GroupFit {
public:
    GroupFit(const float *weight, const float *xval) : m_weight(weight), m_xval(xval) {
        if constexpr (Fast) {
            for (int i = 0; i < N; ++i) {
                for (int l = 0; l < 4; ++l) {
                    const float w = weight[i];
                    const float q = float(2 * l + 1);
                    m_qx[i][l] = w * xval[i] * q;
                    m_q2[i][l] = w * q * q;
                }
            }
        }
    }

    void fit(const int8_t *L, float &sumqx, float &sumq2) const {
        sumqx = 0;
        sumq2 = 0;
        for (int i = 0; i < N; ++i) {
            if constexpr (Fast) {
                sumqx += m_qx[i][L[i] & 3];
                sumq2 += m_q2[i][L[i] & 3];
            } else {
                const float w = m_weight[i];
                const float q = float(2 * L[i] + 1);
                sumqx += w * m_xval[i] * q;
                sumq2 += w * q * q;
            }
        }
    }

private:
    const float *m_weight;
    const float *m_xval;
    float m_qx[Fast ? N : 1][4];
    float m_q2[Fast ? N : 1][4];
};

inline int gridPositionOrThrow(const GridIndex &grid, const int8_t *L) {
    const int index = grid.pointIndex(packKey(L));
    if (index < 0) throw Error("IQ2 quantizer: internal error, levels left off the grid");
    return index;
}

// Fills weight[] (importance * sqrt(sigma2 + x^2)) and waux[] = sqrt(weight).
template <int N>
inline void groupWeights(const float *xb, const float *qw, float sigma2, float *weight, float *waux) {
    for (int i = 0; i < N; ++i) weight[i] = qw[i] * std::sqrt(sigma2 + xb[i] * xb[i]);
    for (int i = 0; i < N; ++i) waux[i] = std::sqrt(weight[i]);
}

inline float sumSquares(const float *x) {
    float sumx2 = 0;
    for (int i = 0; i < QK_K; ++i) sumx2 += x[i] * x[i];
    return sumx2;
}

// Quantizes row after row, block after block; quantizeBlock(x, blockInRow, row, block) fills
// one block, which is then copied out (so dst needs no alignment).
template <typename Block, typename QuantizeBlock>
size_t quantizeRowsOf(const float *src, void *dst, int64_t nrows, int64_t ncols, QuantizeBlock quantizeBlock) {
    const int64_t nblocks = ncols / QK_K;
    auto *out = static_cast<uint8_t *>(dst);
    for (int64_t r = 0; r < nrows; ++r) {
        const float *x = src + r * ncols;
        for (int64_t b = 0; b < nblocks; ++b) {
            Block block;
            quantizeBlock(x + b * QK_K, b, r, block);
            std::memcpy(out + (r * nblocks + b) * int64_t(sizeof(Block)), &block, sizeof(Block));
        }
    }
    return size_t(nrows * nblocks * int64_t(sizeof(Block)));
}

} // namespace qb::iq2::detail
