// IQ2_XXS, IQ2_XS and IQ2_S quantizers: ggml's quantize_row_iq2_xxs_impl, _iq2_xs_impl and
// _iq2_s_impl, in the same float operation order (see ../shared/docs/REFERENCE.md).
//
// Each group of 8 magnitudes is snapped to the nearest codebook point for a series of trial
// scales; off-grid level patterns are replaced by the weighted-nearest of their precomputed
// neighbours. The sign of every element is stored separately (IQ2_XXS/XS keep an even number of
// minus signs per 8, flipping the least important element when needed).
#include "error.h"
#include "float_convert.h"
#include "kernels/iq2_blocks.h"
#include "kernels/iq2_grid_index.h"
#include "kernels/quant_search.h"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <string>

namespace qb::iq2 {
namespace {

constexpr int kMaxQ = 3;                  // levels 0..2 -> values 1, 3, 5
constexpr float kGroupMaxEpsIq2s = 1e-8f; // ggml's GROUP_MAX_EPS_IQ2_S

inline float maxOf(float a, float b) { return a > b ? a : b; }  // ggml's MAX, NaN order included
inline int clampLevel(int l) { return l < 0 ? 0 : l > kMaxQ - 1 ? kMaxQ - 1 : l; }

// Magnitudes of eight values and their sign bits; with evenParity an odd count of minus signs
// is made even by flipping the element with the smallest weight * x^2 (its magnitude goes
// negative, exactly as ggml does). Returns the sign byte (7 bits when evenParity).
uint8_t foldSigns(const float *x, const float *weight, float *xval, bool evenParity) {
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

typedef float Lanes4 __attribute__((vector_size(16)));
typedef int32_t Ints4 __attribute__((vector_size(16)));

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

template <bool Fast>
void quantizeBlockIq2xxs(const GridIndex &grid, const float *xbl, const float *qwl, BlockIq2xxs &y) {
    float scales[QK_K / 32];
    float weight[32], xval[32], waux[32];
    int8_t L[32], Laux[32];
    uint8_t blockSigns[4];
    uint32_t q2[2 * (QK_K / 32)] = {};

    y.d = 0;
    float maxScale = 0;
    const float sigma2 = sumSquares(xbl) / QK_K;

    for (int ib = 0; ib < QK_K / 32; ++ib) {
        const float *xb = xbl + 32 * ib;
        groupWeights<32>(xb, qwl + 32 * ib, sigma2, weight, waux);
        for (int k = 0; k < 4; ++k) blockSigns[k] = foldSigns(xb + 8 * k, weight + 8 * k, xval + 8 * k, true);
        float max = xval[0];
        for (int i = 1; i < 32; ++i) max = maxOf(max, xval[i]);
        if (max < kGroupMaxEps) {
            scales[ib] = 0;
            std::memset(L, 0, 32);
            continue;
        }
        float scale = makeQpQuants(32, kMaxQ + 1, xval, reinterpret_cast<uint8_t *>(L), weight);
        const float effMax = scale * kMaxQ;
        if (effMax <= 0) {
            scales[ib] = 0;
            std::memset(L, 0, 32);
            continue;
        }
        const GroupFit<32, Fast> fit(weight, xval);
        float best = 0;
        for (int is = -6; is <= 6; ++is) {
            const float id = (2 * kMaxQ - 1 + float(is) * 0.1f) / effMax;
            const float thisScale = 1 / id;
            for (int k = 0; k < 4; ++k) snapGroup<Fast>(grid, xval + 8 * k, waux + 8 * k, id, thisScale, Laux + 8 * k);
            float sumqx, sumq2;
            fit.fit(Laux, sumqx, sumq2);
            if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                scale = sumqx / sumq2;
                best = scale * sumqx;
                std::memcpy(L, Laux, 32);
            }
        }
        if (scale > 0) {
            const float id = 1 / scale;
            for (int k = 0; k < 4; ++k) {
                int8_t *Lk = L + 8 * k;
                const uint16_t u = levelKey<Fast>(xval + 8 * k, id, Lk);
                int index = grid.pointIndex(u);
                if (index < 0) index = bestNeighbour<Fast>(grid, u, xval + 8 * k, waux + 8 * k, scale, Lk);
                const int8_t *pg = grid.point(index);
                for (int i = 0; i < 8; ++i) Lk[i] = int8_t((pg[i] - 1) / 2);
            }
            float sumqx, sumq2;
            fit.fit(L, sumqx, sumq2);
            if (sumq2 > 0) scale = sumqx / sumq2;
        }
        if (scale < 0) {
            // ggml's guard: scales are stored unsigned, so flip the signs instead.
            scale = -scale;
            for (int k = 0; k < 4; ++k) blockSigns[k] = uint8_t(~blockSigns[k] & 127);
        }
        for (int k = 0; k < 4; ++k) {
            const int index = gridPositionOrThrow(grid, L + 8 * k);
            q2[2 * ib + 0] |= uint32_t(index) << (8 * k);
            q2[2 * ib + 1] |= uint32_t(blockSigns[k]) << (7 * k);
        }
        scales[ib] = scale;
        maxScale = maxOf(maxScale, scale);
    }

    if (!maxScale) {
        std::memset(y.qs, 0, sizeof(y.qs));
        return;
    }
    const float d = maxScale / 31;
    y.d = fp32ToFp16(d);
    const float id = 1 / d;
    for (int ib = 0; ib < QK_K / 32; ++ib) {
        int l = nearestInt(0.5f * (id * scales[ib] - 1));
        l = l < 0 ? 0 : l > 15 ? 15 : l;
        q2[2 * ib + 1] |= uint32_t(l) << 28;
    }
    std::memcpy(y.qs, q2, sizeof(y.qs));
}

// The 16-element search shared by IQ2_XS and IQ2_S: trial scales around max/5, then a second
// snap of the off-grid groups at the best scale. L holds the chosen levels on return.
template <bool Fast>
float searchGroup16(const GridIndex &grid, const float *xval, const float *weight, const float *waux, float max,
                    int8_t *L) {
    int8_t Laux[16];
    bool onGrid[2] = {true, true}, onGridAux[2];
    const GroupFit<16, Fast> fit(weight, xval);
    float best = 0;
    float scale = max / (2 * kMaxQ - 1);
    for (int is = -9; is <= 9; ++is) {
        const float id = (2 * kMaxQ - 1 + float(is) * 0.1f) / max;
        const float thisScale = 1 / id;
        for (int k = 0; k < 2; ++k)
            onGridAux[k] = snapGroup<Fast>(grid, xval + 8 * k, waux + 8 * k, id, thisScale, Laux + 8 * k);
        float sumqx, sumq2;
        fit.fit(Laux, sumqx, sumq2);
        if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
            scale = sumqx / sumq2;
            best = scale * sumqx;
            std::memcpy(L, Laux, 16);
            onGrid[0] = onGridAux[0];
            onGrid[1] = onGridAux[1];
        }
    }
    if ((!onGrid[0] || !onGrid[1]) && scale > 0) {
        const float id = 1 / scale;
        for (int k = 0; k < 2; ++k) {
            if (onGrid[k]) continue;
            snapGroup<Fast>(grid, xval + 8 * k, waux + 8 * k, id, scale, L + 8 * k);
        }
        float sumqx, sumq2;
        fit.fit(L, sumqx, sumq2);
        if (sumq2 > 0) scale = sumqx / sumq2;
    }
    return scale;
}

template <bool Fast>
void quantizeBlockIq2xs(const GridIndex &grid, const float *xbl, const float *qwl, BlockIq2xs &y) {
    float scales[QK_K / 16];
    float weight[16], xval[16], waux[16];
    int8_t L[16];
    uint8_t blockSigns[2];
    uint16_t q2[2 * (QK_K / 16)] = {};

    y.d = 0;
    std::memset(y.scales, 0, sizeof(y.scales));
    float maxScale = 0;
    const float sigma2 = sumSquares(xbl) / QK_K;

    for (int ib = 0; ib < QK_K / 16; ++ib) {
        const float *xb = xbl + 16 * ib;
        groupWeights<16>(xb, qwl + 16 * ib, sigma2, weight, waux);
        for (int k = 0; k < 2; ++k) blockSigns[k] = foldSigns(xb + 8 * k, weight + 8 * k, xval + 8 * k, true);
        float max = xval[0];
        for (int i = 1; i < 16; ++i) max = maxOf(max, xval[i]);
        std::memset(L, 0, 16);
        if (max < kGroupMaxEps) {
            scales[ib] = 0;
            continue;
        }
        float scale = searchGroup16<Fast>(grid, xval, weight, waux, max, L);
        if (scale < 0) {
            scale = -scale;
            for (int k = 0; k < 2; ++k) blockSigns[k] = uint8_t(~blockSigns[k] & 127);
        }
        for (int k = 0; k < 2; ++k)
            q2[2 * ib + k] = uint16_t(gridPositionOrThrow(grid, L + 8 * k) | (blockSigns[k] << 9));
        scales[ib] = scale;
        maxScale = maxOf(maxScale, scale);
    }

    if (!maxScale) {
        std::memset(y.qs, 0, sizeof(y.qs));
        return;
    }
    const float d = maxScale / 31;
    y.d = fp32ToFp16(d);
    const float id = 1 / d;
    for (int ib = 0; ib < QK_K / 16; ++ib) {
        int l = nearestInt(0.5f * (id * scales[ib] - 1));
        l = l < 0 ? 0 : l > 15 ? 15 : l;
        if (ib % 2 == 0) y.scales[ib / 2] = uint8_t(l);
        else y.scales[ib / 2] |= uint8_t(l << 4);
    }
    std::memcpy(y.qs, q2, sizeof(y.qs));
}

// L persists across the groups of a row on purpose: ggml's IQ2_S does not reset it per group,
// and a group whose weights are all zero keeps the previous group's levels.
template <bool Fast>
void quantizeBlockIq2s(const GridIndex &grid, const float *xbl, const float *qwl, BlockIq2s &y, int8_t *L) {
    float scales[QK_K / 16];
    float weight[16], xval[16], waux[16];
    uint8_t blockSigns[2];

    std::memset(&y, 0, sizeof(y));
    float maxScale = 0;
    const float sigma2 = 2 * sumSquares(xbl) / QK_K;

    for (int ib = 0; ib < QK_K / 16; ++ib) {
        const float *xb = xbl + 16 * ib;
        groupWeights<16>(xb, qwl + 16 * ib, sigma2, weight, waux);
        for (int k = 0; k < 2; ++k) blockSigns[k] = foldSigns(xb + 8 * k, weight + 8 * k, xval + 8 * k, false);
        float max = xval[0];
        for (int i = 1; i < 16; ++i) max = maxOf(max, xval[i]);
        if (max < kGroupMaxEpsIq2s) {
            scales[ib] = 0;
            continue;
        }
        float scale = searchGroup16<Fast>(grid, xval, weight, waux, max, L);
        if (scale < 0) {
            scale = -scale;
            for (int k = 0; k < 2; ++k) blockSigns[k] = uint8_t(~blockSigns[k]);
        }
        for (int k = 0; k < 2; ++k) {
            const int index = gridPositionOrThrow(grid, L + 8 * k);
            const int i8 = 2 * ib + k;
            y.qs[i8] = uint8_t(index & 255);
            y.qh[i8 / 4] |= uint8_t((index >> 8) << (2 * (i8 % 4)));
            y.qs[QK_K / 8 + i8] = blockSigns[k];
        }
        scales[ib] = scale;
        maxScale = maxOf(maxScale, scale);
    }

    if (!maxScale) return;
    const float d = maxScale / 31;
    y.d = fp32ToFp16(d * 0.9875f);
    const float id = 1 / d;
    for (int ib = 0; ib < QK_K / 16; ++ib) {
        int l = nearestInt(0.5f * (id * scales[ib] - 1));
        l = l < 0 ? 0 : l > 15 ? 15 : l;
        if (ib % 2 == 0) y.scales[ib / 2] = uint8_t(l);
        else y.scales[ib / 2] |= uint8_t(l << 4);
    }
}

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

} // namespace

void checkQuantizeInputs(GgmlType type, const float *src, int64_t nrows, int64_t ncols, const float *importance) {
    if (!importance)
        throw Error(std::string("type ") + typeName(type) +
                    " needs an importance matrix (llama.cpp refuses to produce it without one)");
    // ggml aborts or writes garbage on non-finite data (its searches find no candidate, its
    // sorts get no order); refuse it up front with the place named.
    for (int64_t c = 0; c < ncols; ++c)
        if (!std::isfinite(importance[c]))
            throw Error(std::string("importance weight of column ") + std::to_string(c) + " is not finite (" +
                        typeName(type) + " quantization)");
    // Rows arrive in chunks, so only the column is known here; callers name the tensor.
    for (int64_t i = 0; i < nrows * ncols; ++i)
        if (!std::isfinite(src[i]))
            throw Error("a weight in column " + std::to_string(i % ncols) + " is not finite; " + typeName(type) +
                        " cannot quantize it");
}

namespace {

template <bool Fast>
size_t quantizeRowsIq2xxs(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    checkQuantizeInputs(GgmlType::IQ2_XXS, src, nrows, ncols, importance);
    const GridIndex &grid = gridIndex(Codebook::Points256);
    return quantizeRowsOf<BlockIq2xxs>(src, dst, nrows, ncols, [&](const float *x, int64_t b, int64_t, BlockIq2xxs &y) {
        quantizeBlockIq2xxs<Fast>(grid, x, importance + b * QK_K, y);
    });
}

template <bool Fast>
size_t quantizeRowsIq2xs(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    checkQuantizeInputs(GgmlType::IQ2_XS, src, nrows, ncols, importance);
    const GridIndex &grid = gridIndex(Codebook::Points512);
    return quantizeRowsOf<BlockIq2xs>(src, dst, nrows, ncols, [&](const float *x, int64_t b, int64_t, BlockIq2xs &y) {
        quantizeBlockIq2xs<Fast>(grid, x, importance + b * QK_K, y);
    });
}

template <bool Fast>
size_t quantizeRowsIq2s(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    checkQuantizeInputs(GgmlType::IQ2_S, src, nrows, ncols, importance);
    const GridIndex &grid = gridIndex(Codebook::Points1024);
    int8_t L[16] = {};
    int64_t row = -1;
    return quantizeRowsOf<BlockIq2s>(src, dst, nrows, ncols, [&](const float *x, int64_t b, int64_t r, BlockIq2s &y) {
        if (r != row) {  // ggml's L starts each row fresh (uninitialised there; zero here)
            std::memset(L, 0, sizeof(L));
            row = r;
        }
        quantizeBlockIq2s<Fast>(grid, x, importance + b * QK_K, y, L);
    });
}

} // namespace

size_t quantizeIq2xxs(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeRowsIq2xxs<true>(src, dst, nrows, ncols, importance);
}
size_t quantizeIq2xxsReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeRowsIq2xxs<false>(src, dst, nrows, ncols, importance);
}
size_t quantizeIq2xs(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeRowsIq2xs<true>(src, dst, nrows, ncols, importance);
}
size_t quantizeIq2xsReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeRowsIq2xs<false>(src, dst, nrows, ncols, importance);
}
size_t quantizeIq2s(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeRowsIq2s<true>(src, dst, nrows, ncols, importance);
}
size_t quantizeIq2sReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeRowsIq2s<false>(src, dst, nrows, ncols, importance);
}

} // namespace qb::iq2
