// IQ1_M quantizer: ggml's quantize_row_iq1_m_impl as of llama.cpp b4748 and as of 0ad4a86
// (2026-09), each in its own float operation order, as the IQ1_M constants and steps of the shared
// IQ1 quantizer (iq1_quantize.h). The two releases differ only in how the split search adds up its
// sums (b4748 element by element per boundary pair, 0ad4a86 from per-half prefix sums); the other
// rounding changes the choice in rare groups, so each rule set gets its own release's bytes.
//
// Groups of 16 with two halves of 8, each half with its own delta sign: the exhaustive split
// search scores the four sign combinations of every boundary pair, the level patterns are
// snapped to the 2048-point grid, and the super-block scale is refit at the end.
#include "kernels/iq1/iq1_quantize.h"

#include <cfloat>
#include <cmath>
#include <cstring>

namespace qb::iq1 {
namespace {

using namespace detail;

// Sums of the b4748 IQ1_M split search for boundaries (i1, i2), accumulated element by element
// in sorted order as ggml does (its later prefix-sum rewrite rounds differently).
// Combination k: bit 1 picks x_m for the first half of the group, bit 0 for the second.
struct SplitSums {
    float qx[4];
    float q2[4];
};

inline void accumulateSplit(SplitSums &s, int i, const float *weight, const float *xb, float vp, float vm, int half) {
    const float w = weight[i];
    const int usesXm = i < half ? 2 : 1;  // the bit of k that picks x_m for this element's half
    for (int k = 0; k < 4; ++k) {
        const float v = k & usesXm ? vm : vp;
        s.qx[k] += w * v * xb[i];
        s.q2[k] += w * v * v;
    }
}

// ggml b4748's IQ1_M split search as written: for every boundary pair the four sums are
// rebuilt element by element in sorted order.
template <typename Consider>
void searchSplits(const float *xb, const float *weight, const int *order, const float *xp, const float *xm,
                  Consider &consider) {
    constexpr int kBlock = 16;
    for (int i1 = 0; i1 <= kBlock; ++i1) {
        for (int i2 = i1; i2 <= kBlock; ++i2) {
            SplitSums s{};
            for (int j = 0; j < i1; ++j) accumulateSplit(s, order[j], weight, xb, xp[0], xm[0], kBlock / 2);
            for (int j = i1; j < i2; ++j) accumulateSplit(s, order[j], weight, xb, xp[1], xm[1], kBlock / 2);
            for (int j = i2; j < kBlock; ++j) accumulateSplit(s, order[j], weight, xb, xp[2], xm[2], kBlock / 2);
            consider(i1, i2, s.qx, s.q2);
        }
    }
}

// The same sums, bit for bit. Each pair's sums are one left-to-right chain of additions
// (segment 0 terms, then segment 1, then segment 2, from zero); chains that share a beginning
// share its partial result, so only the segment-2 tail is re-added per pair. The four
// combinations are the four lanes of a vector, each lane doing exactly its scalar operations.
template <typename Consider>
void searchSplitsFast(const float *xb, const float *weight, const int *order, const float *xp, const float *xm,
                      Consider &consider) {
    constexpr int kBlock = 16;
    Lanes4 termQx[3][kBlock], termQ2[3][kBlock];
    for (int j = 0; j < kBlock; ++j) {
        const int i = order[j];
        const float w = weight[i];
        for (int seg = 0; seg < 3; ++seg) {
            const float px = w * xp[seg] * xb[i], mx = w * xm[seg] * xb[i];
            const float p2 = w * xp[seg] * xp[seg], m2 = w * xm[seg] * xm[seg];
            if (i < kBlock / 2) {
                termQx[seg][j] = Lanes4{px, px, mx, mx};
                termQ2[seg][j] = Lanes4{p2, p2, m2, m2};
            } else {
                termQx[seg][j] = Lanes4{px, mx, px, mx};
                termQ2[seg][j] = Lanes4{p2, m2, p2, m2};
            }
        }
    }
    Lanes4 headQx = {0, 0, 0, 0}, headQ2 = {0, 0, 0, 0};  // segment 0 over [0, i1)
    for (int i1 = 0; i1 <= kBlock; ++i1) {
        Lanes4 midQx = headQx, midQ2 = headQ2;              // then segment 1 over [i1, i2)
        for (int i2 = i1; i2 <= kBlock; ++i2) {
            Lanes4 qx = midQx, q2 = midQ2;
            for (int j = i2; j < kBlock; ++j) {
                qx += termQx[2][j];
                q2 += termQ2[2][j];
            }
            const float sx[4] = {qx[0], qx[1], qx[2], qx[3]};
            const float s2[4] = {q2[0], q2[1], q2[2], q2[3]};
            consider(i1, i2, sx, s2);
            if (i2 < kBlock) {
                midQx += termQx[1][i2];
                midQ2 += termQ2[1][i2];
            }
        }
        if (i1 < kBlock) {
            headQx += termQx[0][i1];
            headQ2 += termQ2[0][i1];
        }
    }
}

// llama.cpp 0ad4a86's split search: prefix sums of weight*x and weight over the sorted order,
// kept per half of the group (each half has its own delta sign). Because the three levels of
// x_p and of x_m are one apart, a split's sum of weight*x*level is T*level[2] - S(i1) - S(i2) and
// its sum of weight*level^2 is W*level[2]^2 + W(i1)*(level[0]^2 - level[1]^2) + W(i2)*(level[1]^2 -
// level[2]^2). The expressions below are ggml's, term for term, so they round as its do.
template <typename Consider>
void searchSplitsPrefixSums(const float *xb, const float *weight, const int *order, const float *xp, const float *xm,
                            Consider &consider) {
    constexpr int kBlock = 16;
    float px[2][kBlock + 1], pw[2][kBlock + 1];
    px[0][0] = px[1][0] = 0;
    pw[0][0] = pw[1][0] = 0;
    for (int j = 0; j < kBlock; ++j) {
        const int i = order[j];
        const int h = i < kBlock / 2 ? 0 : 1;
        px[h][j + 1] = px[h][j] + weight[i] * xb[i];
        px[1 - h][j + 1] = px[1 - h][j];
        pw[h][j + 1] = pw[h][j] + weight[i];
        pw[1 - h][j + 1] = pw[1 - h][j];
    }
    const float txs[2] = {px[0][kBlock], px[1][kBlock]};
    const float tws[2] = {pw[0][kBlock], pw[1][kBlock]};
    const float p2 = xp[2], m2 = xm[2];
    const float cp1 = xp[0] * xp[0] - xp[1] * xp[1], cp2 = xp[1] * xp[1] - xp[2] * xp[2];
    const float cm1 = xm[0] * xm[0] - xm[1] * xm[1], cm2 = xm[1] * xm[1] - xm[2] * xm[2];
    for (int i1 = 0; i1 <= kBlock; ++i1) {
        for (int i2 = i1; i2 <= kBlock; ++i2) {
            float qxp[2], qxm[2], q2p[2], q2m[2];
            for (int h = 0; h < 2; ++h) {
                const float sx = px[h][i1] + px[h][i2];
                qxp[h] = txs[h] * p2 - sx;
                qxm[h] = txs[h] * m2 - sx;
                q2p[h] = tws[h] * p2 * p2 + pw[h][i1] * cp1 + pw[h][i2] * cp2;
                q2m[h] = tws[h] * m2 * m2 + pw[h][i1] * cm1 + pw[h][i2] * cm2;
            }
            // Combination k: bit 1 picks x_m for the first half, bit 0 for the second.
            const float qx[4] = {qxp[0] + qxp[1], qxp[0] + qxm[1], qxm[0] + qxp[1], qxm[0] + qxm[1]};
            const float q2[4] = {q2p[0] + q2p[1], q2p[0] + q2m[1], q2m[0] + q2p[1], q2m[0] + q2m[1]};
            consider(i1, i2, qx, q2);
        }
    }
}

struct Iq1m {
    using Block = BlockIq1m;
    static constexpr GgmlType kType = GgmlType::IQ1_M;
    static constexpr int kGroup = 16;
    static constexpr float kDelta = kIq1mDelta;
    static constexpr float kGroupMaxEps = 1e-7f;
    // The choice is one of four delta sign combinations: bit 1 picks x_m for the first half of
    // the group, bit 0 for the second.
    static constexpr int kUnset = -1;
    static constexpr int kEmptyGroup = 0;

    static int mirrored(int combination) { return 3 - combination; }  // swap both halves' tables: 0<->3, 1<->2
    // Which value table group k of a 16-element block uses for a combination.
    static const float *values(int combination, int k, const float *xp, const float *xm) {
        return k == 0 ? (combination < 2 ? xp : xm) : (combination % 2 == 0 ? xp : xm);
    }

    // Keeps the best of a boundary pair's four sign combinations (ggml's comparison, first wins ties).
    static auto keepBest(GroupSplit &best) {
        return [&best](int i1, int i2, const float *qx, const float *q2) {
            for (int k = 0; k < 4; ++k) {
                if (q2[k] > 0 && qx[k] * qx[k] > best.score * q2[k]) {
                    best.scale = qx[k] / q2[k];
                    best.score = best.scale * qx[k];
                    best.i1 = i1;
                    best.i2 = i2;
                    best.choice = k;
                }
            }
        };
    }

    template <bool Fast>
    static void searchSplits(const float *xb, const float *weight, const int *order, const float *xp, const float *xm,
                             GroupSplit &best) {
        auto consider = keepBest(best);
        if constexpr (Fast)
            searchSplitsFast(xb, weight, order, xp, xm, consider);
        else
            iq1::searchSplits(xb, weight, order, xp, xm, consider);
    }

    // Two 11-bit indices: low bytes in qs, the high 3 bits of each in a nibble of qh.
    static void storeGroup(Block &y, int ib, const uint16_t *index) {
        y.qs[2 * ib + 0] = uint8_t(index[0] & 255);
        y.qs[2 * ib + 1] = uint8_t(index[1] & 255);
        y.qh[ib] = uint8_t((index[0] >> 8) | ((index[1] >> 8) << 4));
    }

    // 3-bit scales per group, the delta signs in qh, and one fp16 scale refit over the whole
    // super-block with the stored levels and scales, spread over the top nibbles of the scales.
    static void storeScales(const GridIndex &grid, const SuperBlockFit &fit, Block &y) {
        constexpr uint8_t kMasks[4] = {0x00, 0x80, 0x08, 0x88};
        float weight[kGroup];
        uint16_t sc[4] = {};
        float d = fit.maxScale / 15;
        const float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        for (int ib = 0; ib < QK_K / kGroup; ++ib) {
            int l = nearestInt(0.5f * (id * fit.scales[ib] - 1));
            l = l < 0 ? 0 : l > 7 ? 7 : l;
            sc[ib / 4] |= uint16_t(l << (3 * (ib % 4)));
            y.qh[ib] |= kMasks[fit.choices[ib]];
            const float *xb = fit.x + kGroup * ib;
            const float *qw = fit.importance + kGroup * ib;
            for (int i = 0; i < kGroup; ++i) weight[i] = qw[i] * std::sqrt(fit.sigma2 + xb[i] * xb[i]);
            for (int k = 0; k < kGroup / 8; ++k) {
                const float *xx = values(fit.choices[ib], k, fit.xp, fit.xm);
                const int gridIndex = y.qs[2 * ib + k] + ((y.qh[ib] << (8 - 4 * k)) & 0x700);
                const int8_t *pg = grid.point(gridIndex);
                for (int j = 0; j < 8; ++j) {
                    const float w = weight[8 * k + j];
                    const float q = xx[(pg[j] - 1) / 2] * float(2 * l + 1);
                    sumqx += w * q * xb[8 * k + j];
                    sumq2 += w * q * q;
                }
            }
        }
        if (sumq2 > 0) d = sumqx / sumq2;
        const uint16_t s = fp32ToFp16(d * 1.1125f);
        sc[0] |= uint16_t((s & 0x000f) << 12);
        sc[1] |= uint16_t((s & 0x00f0) << 8);
        sc[2] |= uint16_t((s & 0x0f00) << 4);
        sc[3] |= uint16_t(s & 0xf000);
        std::memcpy(y.scales, sc, sizeof(sc));
    }
};

// IQ1_M as llama.cpp 0ad4a86 writes it: b4748's everything but the split search. Its search is
// already the fast form, so the scalar reference is the same code.
struct Iq1m2026 : Iq1m {
    template <bool Fast>
    static void searchSplits(const float *xb, const float *weight, const int *order, const float *xp, const float *xm,
                             GroupSplit &best) {
        auto consider = keepBest(best);
        searchSplitsPrefixSums(xb, weight, order, xp, xm, consider);
    }
};

} // namespace

size_t quantizeIq1m2026(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeRows<Iq1m2026, true>(src, dst, nrows, ncols, importance);
}

size_t quantizeIq1m(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeRows<Iq1m, true>(src, dst, nrows, ncols, importance);
}

size_t quantizeIq1mReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeRows<Iq1m, false>(src, dst, nrows, ncols, importance);
}

} // namespace qb::iq1
