// IQ2_XXS, IQ2_XS and IQ2_S quantizers: ggml's quantize_row_iq2_xxs_impl, _iq2_xs_impl and
// _iq2_s_impl, in the same float operation order (see ../shared/docs/REFERENCE.md).
//
// Each group of 8 magnitudes is snapped to the nearest codebook point for a series of trial
// scales; off-grid level patterns are replaced by the weighted-nearest of their precomputed
// neighbours. The sign of every element is stored separately (IQ2_XXS/XS keep an even number of
// minus signs per 8, flipping the least important element when needed).
#include "error.h"
#include "float_convert.h"
#include "kernels/iq2/iq2_blocks.h"
#include "kernels/iq2/iq2_search.h"

#include <cmath>
#include <cstring>
#include <string>

namespace qb::iq2 {
namespace {

using namespace detail;

constexpr float kGroupMaxEpsIq2s = 1e-8f;  // ggml's GROUP_MAX_EPS_IQ2_S

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
        // ggml's L is uninitialised at the start of a row (in practice the previous row's
        // levels within one call); zero here, so results never depend on how rows are split.
        if (r != row) {
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
