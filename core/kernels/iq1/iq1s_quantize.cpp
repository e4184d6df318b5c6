// IQ1_S quantizer: ggml's quantize_row_iq1_s_impl as of llama.cpp b4748, in the same float
// operation order.
//
// With three levels (-1, 0, +1, all shifted by +delta or by -delta) the best weighted split of a
// group of 32 is found exhaustively: sort the values, try every pair of boundaries with prefix
// sums, keep the split with the largest sumqx^2 / sumq2; the level patterns are then snapped to
// the 2048-point grid.
#include "float_convert.h"
#include "kernels/iq1/iq1_search.h"
#include "kernels/iq1/iq1_blocks.h"
#include "kernels/iq2/iq2_grids.h"

#include <cfloat>
#include <cmath>
#include <cstring>

namespace qb::iq1 {
namespace {

using namespace detail;
using namespace iq2::detail;
using iq2::checkQuantizeInputs;
using iq2::Codebook;
using iq2::GridIndex;
using iq2::gridIndex;

constexpr float kGroupMaxEpsIq1s = 1e-12f;

template <bool Fast>
void quantizeBlockIq1s(const GridIndex &grid, const float *xbl, const float *qwl, BlockIq1s &y) {
    constexpr int kBlock = 32;
    const float xp[3] = {-1 + kIq1sDelta, kIq1sDelta, 1 + kIq1sDelta};
    const float xm[3] = {-1 - kIq1sDelta, -kIq1sDelta, 1 - kIq1sDelta};
    float scales[QK_K / kBlock], weight[kBlock], sumx[kBlock + 4], sumw[kBlock + 4];  // +3: vector padding
    int order[kBlock];
    int8_t L[kBlock];
    uint16_t index[kBlock / 8];
    int8_t shifts[QK_K / kBlock];

    std::memset(&y, 0, sizeof(y));
    float maxScale = 0;
    const float sigma2 = 2 * sumSquares(xbl) / QK_K;

    for (int ib = 0; ib < QK_K / kBlock; ++ib) {
        const float *xb = xbl + kBlock * ib;
        const float *qw = qwl + kBlock * ib;
        for (int i = 0; i < kBlock; ++i) weight[i] = qw[i] * std::sqrt(sigma2 + xb[i] * xb[i]);
        float max = std::fabs(xb[0]);
        for (int i = 1; i < kBlock; ++i) max = maxOf(max, std::fabs(xb[i]));
        if (max < kGroupMaxEpsIq1s) {
            scales[ib] = 0;
            shifts[ib] = 1;
            continue;
        }
        sortedOrder<kBlock>(xb, order);
        sumx[0] = sumw[0] = 0;
        for (int j = 0; j < kBlock; ++j) {
            const int i = order[j];
            sumx[j + 1] = sumx[j] + weight[i] * xb[i];
            sumw[j + 1] = sumw[j] + weight[i];
        }
        float bestScore = -FLT_MAX, scale = max;
        int besti1 = -1, besti2 = -1, bestShift = 0;
        auto consider = [&](int i1, int i2, float sumqx, float sumq2, int shift) {
            if (sumq2 > 0 && sumqx * sumqx > bestScore * sumq2) {
                scale = sumqx / sumq2;
                bestScore = scale * sumqx;
                besti1 = i1;
                besti2 = i2;
                bestShift = shift;
            }
        };
        if constexpr (Fast) {
            // Four upper boundaries at a time, one per vector lane; each lane performs the
            // scalar expression's operations in its order, the choices stay sequential.
            for (int j = kBlock + 1; j < kBlock + 4; ++j) sumx[j] = sumw[j] = 0;
            for (int i1 = 0; i1 <= kBlock; ++i1) {
                const float headP = (sumx[i1] - sumx[0]) * xp[0], headM = (sumx[i1] - sumx[0]) * xm[0];
                const float headP2 = (sumw[i1] - sumw[0]) * xp[0] * xp[0];
                const float headM2 = (sumw[i1] - sumw[0]) * xm[0] * xm[0];
                for (int i2 = i1; i2 <= kBlock; i2 += 4) {
                    Lanes4 sx, sw;
                    std::memcpy(&sx, sumx + i2, sizeof(sx));
                    std::memcpy(&sw, sumw + i2, sizeof(sw));
                    const Lanes4 midX = sx - sumx[i1], tailX = sumx[kBlock] - sx;
                    const Lanes4 midW = sw - sumw[i1], tailW = sumw[kBlock] - sw;
                    const Lanes4 qxP = headP + midX * xp[1] + tailX * xp[2];
                    const Lanes4 q2P = headP2 + midW * xp[1] * xp[1] + tailW * xp[2] * xp[2];
                    const Lanes4 qxM = headM + midX * xm[1] + tailX * xm[2];
                    const Lanes4 q2M = headM2 + midW * xm[1] * xm[1] + tailW * xm[2] * xm[2];
                    for (int t = 0; t < 4 && i2 + t <= kBlock; ++t) {
                        consider(i1, i2 + t, qxP[t], q2P[t], 1);
                        consider(i1, i2 + t, qxM[t], q2M[t], -1);
                    }
                }
            }
        } else {
            for (int i1 = 0; i1 <= kBlock; ++i1) {
                for (int i2 = i1; i2 <= kBlock; ++i2) {
                    float sumqx = (sumx[i1] - sumx[0]) * xp[0] + (sumx[i2] - sumx[i1]) * xp[1] +
                                  (sumx[kBlock] - sumx[i2]) * xp[2];
                    float sumq2 = (sumw[i1] - sumw[0]) * xp[0] * xp[0] + (sumw[i2] - sumw[i1]) * xp[1] * xp[1] +
                                  (sumw[kBlock] - sumw[i2]) * xp[2] * xp[2];
                    consider(i1, i2, sumqx, sumq2, 1);
                    sumqx = (sumx[i1] - sumx[0]) * xm[0] + (sumx[i2] - sumx[i1]) * xm[1] + (sumx[kBlock] - sumx[i2]) * xm[2];
                    sumq2 = (sumw[i1] - sumw[0]) * xm[0] * xm[0] + (sumw[i2] - sumw[i1]) * xm[1] * xm[1] +
                            (sumw[kBlock] - sumw[i2]) * xm[2] * xm[2];
                    consider(i1, i2, sumqx, sumq2, -1);
                }
            }
        }
        if (besti1 < 0 || besti2 < 0 || bestShift == 0) {
            scales[ib] = 0;
            shifts[ib] = 1;
            continue;
        }
        for (int j = 0; j < besti1; ++j) L[order[j]] = 0;
        for (int j = besti1; j < besti2; ++j) L[order[j]] = 1;
        for (int j = besti2; j < kBlock; ++j) L[order[j]] = 2;
        if (scale < 0) {
            for (int j = 0; j < kBlock; ++j) L[j] = int8_t(2 - L[j]);
            scale = -scale;
            bestShift = -bestShift;
        }
        bool allOnGrid = true;
        const float *xx = bestShift == 1 ? xp : xm;
        for (int k = 0; k < kBlock / 8; ++k) {
            const uint16_t u = packKey(L + 8 * k);
            int gridIndex = grid.pointIndex(u);
            if (gridIndex < 0) {
                allOnGrid = false;
                gridIndex = bestNeighbourIq1<Fast>(grid, u, xb + 8 * k, weight + 8 * k, scale, xx, L + 8 * k);
            }
            index[k] = uint16_t(gridIndex);
        }
        if (!allOnGrid) {
            float sumqx = 0, sumq2 = 0;
            for (int k = 0; k < kBlock / 8; ++k) {
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
        uint16_t h = 0;
        for (int k = 0; k < kBlock / 8; ++k) {
            y.qs[(kBlock / 8) * ib + k] = uint8_t(index[k] & 255);
            h |= uint16_t((index[k] >> 8) << (3 * k));
        }
        y.qh[ib] = h;
        scales[ib] = scale;
        shifts[ib] = int8_t(bestShift);
        maxScale = maxOf(maxScale, scale);
    }

    if (!maxScale) return;
    const float d = maxScale / 15;
    y.d = fp32ToFp16(d * 1.125f);
    const float id = 1 / d;
    for (int ib = 0; ib < QK_K / kBlock; ++ib) {
        int l = nearestInt(0.5f * (id * scales[ib] - 1));
        l = l < 0 ? 0 : l > 7 ? 7 : l;
        if (shifts[ib] == -1) l |= 8;
        y.qh[ib] |= uint16_t(l << 12);
    }
}

template <bool Fast>
size_t quantizeRowsIq1s(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    checkQuantizeInputs(GgmlType::IQ1_S, src, nrows, ncols, importance);
    const GridIndex &grid = gridIndex(Codebook::Points2048);
    return quantizeRowsOf<BlockIq1s>(src, dst, nrows, ncols, [&](const float *x, int64_t b, int64_t, BlockIq1s &y) {
        quantizeBlockIq1s<Fast>(grid, x, importance + b * QK_K, y);
    });
}

} // namespace

size_t quantizeIq1s(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeRowsIq1s<true>(src, dst, nrows, ncols, importance);
}

size_t quantizeIq1sReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeRowsIq1s<false>(src, dst, nrows, ncols, importance);
}

} // namespace qb::iq1
