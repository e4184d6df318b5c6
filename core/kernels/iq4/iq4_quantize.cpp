// IQ4_NL and IQ4_XS quantization: ggml-quants.c (b4748) quantize_row_iq4_nl_impl, used with one
// block of 32 (IQ4_NL) or a super-block of 8 x 32 with 6-bit sub-scales (IQ4_XS), both with 7
// scale trials either side of the first guess. Float operations keep ggml's order and types.
#include "kernels/iq4/iq4_blocks.h"

#include "float_convert.h"

#include <array>
#include <cmath>
#include <cstring>

namespace qb::iq4 {
namespace {

constexpr int kBlock = 32;
constexpr int kTrials = 7;             // ntry
constexpr float kGroupMaxEps = 1e-15f; // GROUP_MAX_EPS

// ggml's best_index_int8 as of b4748: the level nearest to x, the upper one on an exact tie of
// the float differences. (Later ggml versions changed the tie arithmetic; b4748's is kept.)
// ggml finds the bracketing pair by binary search; counting the inner levels not above x gives
// the same upper index without unpredictable branches. !(x < v) rather than x >= v keeps ggml's
// answer for NaN (the top pair).
inline int bestLevel(float x) {
    const int8_t *val = kIq4nlValues;
    if (x <= val[0]) return 0;
    if (x >= val[15]) return 15;
    int mu = 1;
    for (int i = 1; i < 15; ++i)
        mu += !(x < float(val[i]));
    return x - val[mu - 1] < val[mu] - x ? mu - 1 : mu;
}

// bestLevel as a table lookup, the fast path's form. bestLevel is monotone in x (within a
// bracket both float differences are monotone; at a level both sides give that level), so on
// each unit interval [k, k+1) it takes one value, or two with a single step at some float t.
// The table holds, for k = -127..112, that value and t (or +inf), found once by bisecting on
// bestLevel itself over the ordered float bit patterns, so the lookup answers exactly as
// bestLevel does, ties included. Levels are at least 10 apart, so no interval holds two steps.
class LevelTable {
public:
    LevelTable() {
        for (int k = kFirst; k < kLast; ++k) {
            const size_t i = size_t(k - kFirst);
            const float lo = float(k), hi = std::nextafter(float(k + 1), -INFINITY);
            m_base[i] = uint8_t(bestLevel(lo));
            m_step[i] = bestLevel(hi) == m_base[i] ? INFINITY : firstAbove(lo, hi, m_base[i]);
        }
    }
    // bestLevel(v) for any float v.
    int operator()(float v) const {
        if (!(v > float(kFirst))) return v != v ? 15 : 0; // NaN: the top pair, as bestLevel
        if (!(v < float(kLast))) return 15;
        int k = int(v); // truncation; floor for the negative non-integers below
        k -= float(k) > v;
        const size_t i = size_t(k - kFirst);
        return m_base[i] + (v >= m_step[i]);
    }

private:
    static constexpr int kFirst = -127; // kIq4nlValues[0]: at or below, level 0
    static constexpr int kLast = 113;   // kIq4nlValues[15]: at or above, level 15

    // Floats ordered as integers: -0 and +0 both map to 0, negatives below.
    static int64_t ordinal(float f) {
        uint32_t b;
        std::memcpy(&b, &f, 4);
        return (b & 0x80000000u) ? -int64_t(b & 0x7fffffffu) : int64_t(b);
    }
    static float fromOrdinal(int64_t o) {
        const uint32_t b = o < 0 ? (0x80000000u | uint32_t(-o)) : uint32_t(o);
        float f;
        std::memcpy(&f, &b, 4);
        return f;
    }
    // The smallest float in (lo, hi] whose level is above base (bestLevel(hi) is).
    static float firstAbove(float lo, float hi, int base) {
        int64_t a = ordinal(lo), b = ordinal(hi); // level(a) == base, level(b) > base
        while (b - a > 1) {
            const int64_t m = a + (b - a) / 2;
            if (bestLevel(fromOrdinal(m)) > base)
                b = m;
            else
                a = m;
        }
        return fromOrdinal(b);
    }

    std::array<uint8_t, kLast - kFirst> m_base{};
    std::array<float, kLast - kFirst> m_step{};
};

const LevelTable &levelTable() {
    static const LevelTable table;
    return table;
}

// L[j] = bestLevel(scale * x[j]) for j < n; the fast form looks the product up in the table.
template <bool Fast> void levelsOf(const float *x, float scale, int n, uint8_t *L) {
    if constexpr (Fast) {
        const LevelTable &table = levelTable();
        for (int j = 0; j < n; ++j)
            L[j] = uint8_t(table(scale * x[j]));
        return;
    }
    for (int j = 0; j < n; ++j)
        L[j] = uint8_t(bestLevel(scale * x[j]));
}

// One super-block of superSize weights in groups of 32 (superSize == 32 for IQ4_NL). Writes the
// fp16 scale, the packed nibbles and, for more than one group, the 6-bit group scales.
template <bool Fast>
void quantizeSuperBlock(int superSize, const float *x, uint16_t *dh, uint8_t *q4, uint16_t *scalesH, uint8_t *scalesL,
                        const float *qw) {
    float scales[kSuperBlock / kBlock];
    float weight[kBlock];
    uint8_t L[kSuperBlock];
    const int ngroups = superSize / kBlock;
    const int8_t *values = kIq4nlValues;

    float sigma2 = 0;
    for (int j = 0; j < superSize; ++j)
        sigma2 += x[j] * x[j];
    sigma2 *= 2.f / float(superSize);

    std::memset(q4, 0, size_t(superSize / 2));
    *dh = fp32ToFp16(0.f);

    float maxScale = 0, amaxScale = 0;
    for (int ib = 0; ib < ngroups; ++ib) {
        const float *xb = x + ib * kBlock;
        uint8_t *Lb = L + ib * kBlock;
        if (qw) {
            const float *w = qw + ib * kBlock;
            for (int j = 0; j < kBlock; ++j)
                weight[j] = w[j] * std::sqrt(sigma2 + xb[j] * xb[j]);
        } else {
            for (int j = 0; j < kBlock; ++j)
                weight[j] = xb[j] * xb[j];
        }
        float amax = 0, max = 0;
        for (int j = 0; j < kBlock; ++j) {
            const float ax = std::fabs(xb[j]);
            if (ax > amax) {
                amax = ax;
                max = xb[j];
            }
        }
        if (amax < kGroupMaxEps) {
            scales[ib] = 0;
            // ggml leaves these levels unset; both callers overwrite them below before packing.
            std::memset(Lb, 0, kBlock);
            continue;
        }
        float d = -max / float(values[0]); // ntry > 0 in both formats
        float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        levelsOf<Fast>(xb, id, kBlock, Lb);
        for (int j = 0; j < kBlock; ++j) {
            const float q = float(values[Lb[j]]);
            const float w = weight[j];
            sumqx += w * q * xb[j];
            sumq2 += w * q * q;
        }
        d = sumqx / sumq2;
        float best = d * sumqx;
        for (int itry = -kTrials; itry <= kTrials; ++itry) {
            id = float(itry + values[0]) / max;
            sumqx = sumq2 = 0;
            uint8_t trial[kBlock];
            levelsOf<Fast>(xb, id, kBlock, trial);
            for (int j = 0; j < kBlock; ++j) {
                const float q = float(values[trial[j]]);
                const float w = weight[j];
                sumqx += w * q * xb[j];
                sumq2 += w * q * q;
            }
            if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                d = sumqx / sumq2;
                best = d * sumqx;
            }
        }
        scales[ib] = d;
        const float absD = std::fabs(d);
        if (absD > amaxScale) {
            amaxScale = absD;
            maxScale = d;
        }
    }

    if (ngroups > 1) {
        *scalesH = 0;
        const float d = -maxScale / 32;
        *dh = fp32ToFp16(d);
        const float id = d != 0 ? 1 / d : 0.f;
        for (int ib = 0; ib < ngroups; ++ib) {
            int l = nearestInt(id * scales[ib]);
            l = l < -32 ? -32 : (l > 31 ? 31 : l);
            const float dl = d * float(l);
            const float idl = dl != 0 ? 1 / dl : 0.f;
            uint8_t *Lb = L + ib * kBlock;
            const float *xb = x + ib * kBlock;
            levelsOf<Fast>(xb, idl, kBlock, Lb);
            l += 32;
            const uint8_t low = uint8_t(l & 0xf);
            const uint8_t high = uint8_t(l >> 4);
            if (ib % 2 == 0)
                scalesL[ib / 2] = low;
            else
                scalesL[ib / 2] |= uint8_t(low << 4);
            *scalesH |= uint16_t(high << (2 * ib));
        }
    } else {
        *dh = fp32ToFp16(scales[0]);
        const float id = scales[0] != 0 ? 1 / scales[0] : 0;
        levelsOf<Fast>(x, id, superSize, L);
    }

    for (int i = 0; i < superSize / 32; ++i)
        for (int j = 0; j < 16; ++j)
            q4[16 * i + j] = uint8_t(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
}

template <bool Fast>
size_t quantizeNlRows(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    const int64_t nblocks = ncols / kIq4nlBlock;
    auto *out = static_cast<BlockIq4Nl *>(dst);
    for (int64_t r = 0; r < nrows; ++r) {
        const float *x = src + r * ncols;
        BlockIq4Nl *y = out + r * nblocks;
        for (int64_t ib = 0; ib < nblocks; ++ib) {
            const float *qw = importance ? importance + kIq4nlBlock * ib : nullptr;
            quantizeSuperBlock<Fast>(kIq4nlBlock, x + kIq4nlBlock * ib, &y[ib].d, y[ib].qs, nullptr, nullptr, qw);
        }
    }
    return size_t(nrows * nblocks) * sizeof(BlockIq4Nl);
}

template <bool Fast>
size_t quantizeXsRows(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    const int64_t nblocks = ncols / kSuperBlock;
    auto *out = static_cast<BlockIq4Xs *>(dst);
    for (int64_t r = 0; r < nrows; ++r) {
        const float *x = src + r * ncols;
        BlockIq4Xs *y = out + r * nblocks;
        for (int64_t ib = 0; ib < nblocks; ++ib) {
            const float *qw = importance ? importance + kSuperBlock * ib : nullptr;
            quantizeSuperBlock<Fast>(kSuperBlock, x + kSuperBlock * ib, &y[ib].d, y[ib].qs, &y[ib].scalesH,
                                     y[ib].scalesL, qw);
        }
    }
    return size_t(nrows * nblocks) * sizeof(BlockIq4Xs);
}

} // namespace

void iq4Levels(const float *x, float scale, int n, uint8_t *L, bool fast) {
    if (fast)
        levelsOf<true>(x, scale, n, L);
    else
        levelsOf<false>(x, scale, n, L);
}

size_t quantizeIq4Nl(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeNlRows<true>(src, dst, nrows, ncols, importance);
}

size_t quantizeIq4NlReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeNlRows<false>(src, dst, nrows, ncols, importance);
}

size_t quantizeIq4Xs(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeXsRows<true>(src, dst, nrows, ncols, importance);
}

size_t quantizeIq4XsReference(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *importance) {
    return quantizeXsRows<false>(src, dst, nrows, ncols, importance);
}

} // namespace qb::iq4
