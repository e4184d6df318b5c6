// The quantizer shared by IQ1_S and IQ1_M (internal to core/kernels): ggml's
// quantize_row_iq1_s_impl and quantize_row_iq1_m_impl (llama.cpp b4748) are one algorithm that
// differs in its constants (group size, tolerance, delta), in how many delta sign choices the
// split search scores, and in how a block stores its indices and scales. The group loop and the
// row driver live here once; each type supplies those differences as a traits struct
// (iq1s_quantize.cpp, iq1m_quantize.cpp). Float operations stay in ggml's order, so the bytes do.
//
// A Type provides: Block, kType, kGroup (elements per group), kDelta, kGroupMaxEps; kUnset (the
// search's "no choice yet") and kEmptyGroup (the choice ggml records for a skipped group);
// searchSplits<Fast>(xb, weight, order, xp, xm, GroupSplit &), mirrored(choice) (the choice once
// every level is flipped), values(choice, k, xp, xm) (the level values of the k-th 8 of a group),
// storeGroup(y, ib, index) and storeScales(grid, SuperBlockFit, y).
#pragma once

#include "float_convert.h"
#include "kernels/iq1/iq1_blocks.h"
#include "kernels/iq1/iq1_search.h"
#include "kernels/iq2/iq2_grids.h"

#include <cfloat>
#include <cmath>
#include <cstring>

namespace qb::iq1::detail {

using namespace iq2::detail;

// The best split of one group found so far: sorted positions [0, i1) take level 0, [i1, i2)
// level 1, [i2, n) level 2, with the delta choice and the scale that go with them.
struct GroupSplit {
    int i1 = -1;
    int i2 = -1;
    int choice;
    float scale;
    float score = -FLT_MAX;
};

// What the super-block's final scales are fitted from, once every group is chosen.
struct SuperBlockFit {
    const float *x;           // the QK_K values
    const float *importance;  // their QK_K importance weights
    float sigma2;
    const float *xp;          // level values with +delta, with -delta
    const float *xm;
    const float *scales;      // per group
    const int8_t *choices;    // per group
    float maxScale;
};

template <typename Type, bool Fast>
void quantizeSuperBlock(const GridIndex &grid, const float *xbl, const float *qwl, typename Type::Block &y) {
    constexpr int kGroup = Type::kGroup;
    const float xp[3] = {-1 + Type::kDelta, Type::kDelta, 1 + Type::kDelta};
    const float xm[3] = {-1 - Type::kDelta, -Type::kDelta, 1 - Type::kDelta};
    float scales[QK_K / kGroup], weight[kGroup];
    int order[kGroup];
    int8_t L[kGroup];
    uint16_t index[kGroup / 8];
    int8_t choices[QK_K / kGroup];

    std::memset(&y, 0, sizeof(y));
    float maxScale = 0;
    const float sigma2 = 2 * sumSquares(xbl) / QK_K;

    for (int ib = 0; ib < QK_K / kGroup; ++ib) {
        const float *xb = xbl + kGroup * ib;
        const float *qw = qwl + kGroup * ib;
        for (int i = 0; i < kGroup; ++i) weight[i] = qw[i] * std::sqrt(sigma2 + xb[i] * xb[i]);
        float max = std::fabs(xb[0]);
        for (int i = 1; i < kGroup; ++i) max = maxOf(max, std::fabs(xb[i]));
        if (max < Type::kGroupMaxEps) {
            scales[ib] = 0;
            choices[ib] = Type::kEmptyGroup;
            continue;
        }
        sortedOrder<kGroup>(xb, order);
        GroupSplit best{.choice = Type::kUnset, .scale = max};
        Type::template searchSplits<Fast>(xb, weight, order, xp, xm, best);
        if (best.i1 < 0 || best.i2 < 0 || best.choice == Type::kUnset) {
            scales[ib] = 0;
            choices[ib] = Type::kEmptyGroup;
            continue;
        }
        float scale = best.scale;
        int choice = best.choice;
        for (int j = 0; j < best.i1; ++j) L[order[j]] = 0;
        for (int j = best.i1; j < best.i2; ++j) L[order[j]] = 1;
        for (int j = best.i2; j < kGroup; ++j) L[order[j]] = 2;
        if (scale < 0) {
            for (int j = 0; j < kGroup; ++j) L[j] = int8_t(2 - L[j]);
            scale = -scale;
            choice = Type::mirrored(choice);
        }
        bool allOnGrid = true;
        for (int k = 0; k < kGroup / 8; ++k) {
            const uint16_t u = packKey(L + 8 * k);
            int gridIndex = grid.pointIndex(u);
            if (gridIndex < 0) {
                allOnGrid = false;
                gridIndex = bestNeighbourIq1<Fast>(grid, u, xb + 8 * k, weight + 8 * k, scale,
                                                   Type::values(choice, k, xp, xm), L + 8 * k);
            }
            index[k] = uint16_t(gridIndex);
        }
        if (!allOnGrid) {
            float sumqx = 0, sumq2 = 0;
            for (int k = 0; k < kGroup / 8; ++k) {
                const float *xx = Type::values(choice, k, xp, xm);
                const int8_t *pg = grid.point(index[k]);
                for (int j = 0; j < 8; ++j) {
                    const float w = weight[8 * k + j];
                    const float q = xx[(pg[j] - 1) / 2];
                    sumqx += w * q * xb[8 * k + j];
                    sumq2 += w * q * q;
                }
            }
            if (sumqx > 0 && sumq2 > 0) scale = sumqx / sumq2;
        }
        Type::storeGroup(y, ib, index);
        scales[ib] = scale;
        choices[ib] = int8_t(choice);
        maxScale = maxOf(maxScale, scale);
    }

    if (!maxScale) return;
    Type::storeScales(grid, SuperBlockFit{xbl, qwl, sigma2, xp, xm, scales, choices, maxScale}, y);
}

// Row after row, super-block after super-block, on the 2048-point codebook both types share.
template <typename Type, bool Fast>
size_t quantizeRows(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    using Block = typename Type::Block;
    iq2::checkQuantizeInputs(Type::kType, src, nrows, ncols, importance);
    const GridIndex &grid = iq2::gridIndex(iq2::Codebook::Points2048);
    return quantizeRowsOf<Block>(src, dst, nrows, ncols, [&](const float *x, int64_t b, int64_t, Block &y) {
        quantizeSuperBlock<Type, Fast>(grid, x, importance + b * QK_K, y);
    });
}

} // namespace qb::iq1::detail
