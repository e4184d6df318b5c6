// IQ1_S quantizer: ggml's quantize_row_iq1_s_impl as of llama.cpp b4748, in the same float
// operation order, as the IQ1_S constants and steps of the shared IQ1 quantizer (iq1_quantize.h).
//
// With three levels (-1, 0, +1, all shifted by +delta or by -delta) the best weighted split of a
// group of 32 is found exhaustively: sort the values, try every pair of boundaries with prefix
// sums, keep the split with the largest sumqx^2 / sumq2; the level patterns are then snapped to
// the 2048-point grid.
#include "kernels/iq1/iq1_quantize.h"

#include <cfloat>
#include <cstring>

namespace qb::iq1 {
namespace {

using namespace detail;

struct Iq1s {
    using Block = BlockIq1s;
    static constexpr GgmlType kType = GgmlType::IQ1_S;
    static constexpr int kGroup = 32;
    static constexpr float kDelta = kIq1sDelta;
    static constexpr float kGroupMaxEps = 1e-12f;
    // The choice is the delta's sign for the whole group: +1 (x_p) or -1 (x_m).
    static constexpr int kUnset = 0;
    static constexpr int kEmptyGroup = 1;

    static int mirrored(int shift) { return -shift; }
    static const float *values(int shift, int, const float *xp, const float *xm) { return shift == 1 ? xp : xm; }

    template <bool Fast>
    static void searchSplits(const float *xb, const float *weight, const int *order, const float *xp, const float *xm,
                             GroupSplit &best) {
        float sumx[kGroup + 4], sumw[kGroup + 4];  // +3: vector padding
        sumx[0] = sumw[0] = 0;
        for (int j = 0; j < kGroup; ++j) {
            const int i = order[j];
            sumx[j + 1] = sumx[j] + weight[i] * xb[i];
            sumw[j + 1] = sumw[j] + weight[i];
        }
        auto consider = [&](int i1, int i2, float sumqx, float sumq2, int shift) {
            if (sumq2 > 0 && sumqx * sumqx > best.score * sumq2) {
                best.scale = sumqx / sumq2;
                best.score = best.scale * sumqx;
                best.i1 = i1;
                best.i2 = i2;
                best.choice = shift;
            }
        };
        if constexpr (Fast) {
            // Four upper boundaries at a time, one per vector lane; each lane performs the
            // scalar expression's operations in its order, the choices stay sequential.
            for (int j = kGroup + 1; j < kGroup + 4; ++j) sumx[j] = sumw[j] = 0;
            for (int i1 = 0; i1 <= kGroup; ++i1) {
                const float headP = (sumx[i1] - sumx[0]) * xp[0], headM = (sumx[i1] - sumx[0]) * xm[0];
                const float headP2 = (sumw[i1] - sumw[0]) * xp[0] * xp[0];
                const float headM2 = (sumw[i1] - sumw[0]) * xm[0] * xm[0];
                for (int i2 = i1; i2 <= kGroup; i2 += 4) {
                    Lanes4 sx, sw;
                    std::memcpy(&sx, sumx + i2, sizeof(sx));
                    std::memcpy(&sw, sumw + i2, sizeof(sw));
                    const Lanes4 midX = sx - sumx[i1], tailX = sumx[kGroup] - sx;
                    const Lanes4 midW = sw - sumw[i1], tailW = sumw[kGroup] - sw;
                    const Lanes4 qxP = headP + midX * xp[1] + tailX * xp[2];
                    const Lanes4 q2P = headP2 + midW * xp[1] * xp[1] + tailW * xp[2] * xp[2];
                    const Lanes4 qxM = headM + midX * xm[1] + tailX * xm[2];
                    const Lanes4 q2M = headM2 + midW * xm[1] * xm[1] + tailW * xm[2] * xm[2];
                    for (int t = 0; t < 4 && i2 + t <= kGroup; ++t) {
                        consider(i1, i2 + t, qxP[t], q2P[t], 1);
                        consider(i1, i2 + t, qxM[t], q2M[t], -1);
                    }
                }
            }
        } else {
            for (int i1 = 0; i1 <= kGroup; ++i1) {
                for (int i2 = i1; i2 <= kGroup; ++i2) {
                    float sumqx = (sumx[i1] - sumx[0]) * xp[0] + (sumx[i2] - sumx[i1]) * xp[1] +
                                  (sumx[kGroup] - sumx[i2]) * xp[2];
                    float sumq2 = (sumw[i1] - sumw[0]) * xp[0] * xp[0] + (sumw[i2] - sumw[i1]) * xp[1] * xp[1] +
                                  (sumw[kGroup] - sumw[i2]) * xp[2] * xp[2];
                    consider(i1, i2, sumqx, sumq2, 1);
                    sumqx = (sumx[i1] - sumx[0]) * xm[0] + (sumx[i2] - sumx[i1]) * xm[1] +
                            (sumx[kGroup] - sumx[i2]) * xm[2];
                    sumq2 = (sumw[i1] - sumw[0]) * xm[0] * xm[0] + (sumw[i2] - sumw[i1]) * xm[1] * xm[1] +
                            (sumw[kGroup] - sumw[i2]) * xm[2] * xm[2];
                    consider(i1, i2, sumqx, sumq2, -1);
                }
            }
        }
    }

    // Four 11-bit indices: low bytes in qs, the high 3 bits of each in qh (bits 3k..3k+2).
    static void storeGroup(Block &y, int ib, const uint16_t *index) {
        uint16_t h = 0;
        for (int k = 0; k < kGroup / 8; ++k) {
            y.qs[(kGroup / 8) * ib + k] = uint8_t(index[k] & 255);
            h |= uint16_t((index[k] >> 8) << (3 * k));
        }
        y.qh[ib] = h;
    }

    // One fp16 scale for the super-block, a 3-bit scale and the delta sign per group in qh's top bits.
    static void storeScales(const GridIndex &, const SuperBlockFit &fit, Block &y) {
        const float d = fit.maxScale / 15;
        y.d = fp32ToFp16(d * 1.125f);
        const float id = 1 / d;
        for (int ib = 0; ib < QK_K / kGroup; ++ib) {
            int l = nearestInt(0.5f * (id * fit.scales[ib] - 1));
            l = l < 0 ? 0 : l > 7 ? 7 : l;
            if (fit.choices[ib] == -1) l |= 8;
            y.qh[ib] |= uint16_t(l << 12);
        }
    }
};

} // namespace

size_t quantizeIq1s(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeRows<Iq1s, true>(src, dst, nrows, ncols, importance);
}

size_t quantizeIq1sReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeRows<Iq1s, false>(src, dst, nrows, ncols, importance);
}

} // namespace qb::iq1
