// Q4_K, Q5_K, Q6_K and Q8_K quantizers in llama.cpp b4748's exact operation order (the plain
// scalar reference; kquant_fast.cpp computes the same bytes faster).
#include "float_convert.h"
#include "kernels/kquant/kquant_stages.h"
#include "kernels/quant_search.h"

#include <cmath>
#include <cstring>

namespace qb::kquant {

namespace {

// Final levels from the stored fp16 d / dmin; zero-scale sub-blocks keep their search levels.
void requantizeScaleMin(int nmax, const float *x, uint16_t dHalf, uint16_t dminHalf, const uint8_t *scales,
                        uint8_t *L) {
    for (int j = 0; j < QK_K / 32; ++j) {
        uint8_t sc, m;
        unpackScaleMinK4(j, scales, sc, m);
        const float d = fp16ToFp32(dHalf) * float(sc);
        if (d == 0) continue;
        const float dm = fp16ToFp32(dminHalf) * float(m);
        for (int ii = 0; ii < 32; ++ii) {
            int l = nearestInt((x[32 * j + ii] + dm) / d);
            l = l < 0 ? 0 : (l > nmax ? nmax : l);
            L[32 * j + ii] = uint8_t(l);
        }
    }
}

// The make_qkx2_quants search of quantize_row_q4_K_ref / q5_K_ref for one super-block.
void searchScaleMinRef(int nmax, const float *x, float *scales, float *mins, uint8_t *L) {
    const float rmin = nmax == 15 ? -1.f : -0.5f;
    const int steps = nmax == 15 ? 20 : 15;
    uint8_t Laux[32];
    float weights[32];
    for (int j = 0; j < QK_K / 32; ++j) {
        float sumX2 = 0;
        for (int l = 0; l < 32; ++l) sumX2 += x[32 * j + l] * x[32 * j + l];
        const float avX = std::sqrt(sumX2 / 32);
        for (int l = 0; l < 32; ++l) weights[l] = avX + std::fabs(x[32 * j + l]);
        scales[j] = makeQkx2Quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, rmin, 0.1f, steps, false);
    }
}

// The make_qkx3_quants search of quantize_row_q4_K_impl / q5_K_impl for one super-block.
void searchScaleMinImportance(int nmax, const float *x, const float *qw, float *scales, float *mins, float *sw,
                              uint8_t *L) {
    uint8_t Laux[32];
    float weights[32];
    float sumX2 = 0;
    for (int l = 0; l < QK_K; ++l) sumX2 += x[l] * x[l];
    const float sigma2 = 2 * sumX2 / QK_K;
    for (int j = 0; j < QK_K / 32; ++j) {
        const float *w = qw + 32 * j;
        for (int l = 0; l < 32; ++l) weights[l] = w[l] * std::sqrt(sigma2 + x[32 * j + l] * x[32 * j + l]);
        float sumw = 0;
        for (int l = 0; l < 32; ++l) sumw += weights[l];
        sw[j] = sumw;
        scales[j] = makeQkx3Quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
    }
}

} // namespace

void encodeScaleMinRef(const float *scales, const float *mins, uint16_t &d, uint16_t &dmin, uint8_t *packedScales) {
    float maxScale = 0;
    float maxMin = 0;
    for (int j = 0; j < QK_K / 32; ++j) {
        if (scales[j] > maxScale) maxScale = scales[j];
        if (mins[j] > maxMin) maxMin = mins[j];
    }
    const float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
    const float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
    uint8_t ls[QK_K / 32], lm[QK_K / 32];
    for (int j = 0; j < QK_K / 32; ++j) {
        // ggml narrows to uint8 before the clamp to 63.
        const uint8_t s = uint8_t(nearestInt(invScale * scales[j]));
        const uint8_t m = uint8_t(nearestInt(invMin * mins[j]));
        ls[j] = s < 63 ? s : 63;
        lm[j] = m < 63 ? m : 63;
    }
    packScaleMinK4(ls, lm, packedScales);
    d = fp32ToFp16(maxScale / 63.f);
    dmin = fp32ToFp16(maxMin / 63.f);
}

void encodeScaleMinImportance(const float *scales, const float *mins, const float *sw, uint16_t &d, uint16_t &dmin,
                              uint8_t *packedScales) {
    uint8_t ls[QK_K / 32], lm[QK_K / 32];
    const float dBlock = makeQpQuants(QK_K / 32, 63, scales, ls, sw);
    const float mBlock = makeQpQuants(QK_K / 32, 63, mins, lm, sw);
    for (int j = 0; j < QK_K / 32; ++j) {
        ls[j] = ls[j] < 63 ? ls[j] : 63;
        lm[j] = lm[j] < 63 ? lm[j] : 63;
    }
    packScaleMinK4(ls, lm, packedScales);
    d = fp32ToFp16(dBlock);
    dmin = fp32ToFp16(mBlock);
}

bool encodeScalesQ6K(const float *scales, BlockQ6K &b) {
    float maxScale = 0;
    float maxAbsScale = 0;
    for (int ib = 0; ib < QK_K / 16; ++ib) {
        const float absScale = std::fabs(scales[ib]);
        if (absScale > maxAbsScale) {
            maxAbsScale = absScale;
            maxScale = scales[ib];
        }
    }
    if (maxAbsScale < kGroupMaxEps) {
        std::memset(&b, 0, sizeof(BlockQ6K));
        b.d = fp32ToFp16(0.f);
        return false;
    }
    const float iscale = -128.f / maxScale;
    b.d = fp32ToFp16(1 / iscale);
    for (int ib = 0; ib < QK_K / 16; ++ib) {
        const int l = nearestInt(iscale * scales[ib]);
        b.scales[ib] = int8_t(l < 127 ? l : 127);
    }
    return true;
}

namespace {

void requantizeQ6K(const float *x, const BlockQ6K &b, int8_t *L) {
    const float dAll = fp16ToFp32(b.d);
    for (int j = 0; j < QK_K / 16; ++j) {
        const float d = dAll * float(b.scales[j]);
        if (d == 0) continue;
        for (int ii = 0; ii < 16; ++ii) {
            int l = nearestInt(x[16 * j + ii] / d);
            l = l < -32 ? -32 : (l > 31 ? 31 : l);
            L[16 * j + ii] = int8_t(l + 32);
        }
    }
}

void finishQ6K(const float *x, const float *scales, int8_t *L, BlockQ6K &b) {
    if (!encodeScalesQ6K(scales, b)) return;
    requantizeQ6K(x, b, L);
    packQ6K(L, b);
}

} // namespace

void quantizeQ4KRef(const float *x, BlockQ4K *y, int64_t n) {
    uint8_t L[QK_K];
    float scales[QK_K / 32], mins[QK_K / 32];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        searchScaleMinRef(15, x, scales, mins, L);
        encodeScaleMinRef(scales, mins, y[i].d, y[i].dmin, y[i].scales);
        requantizeScaleMin(15, x, y[i].d, y[i].dmin, y[i].scales, L);
        packQ4K(L, y[i].qs);
    }
}

void quantizeQ4KImportance(const float *x, BlockQ4K *y, int64_t n, const float *qw) {
    uint8_t L[QK_K];
    float scales[QK_K / 32], mins[QK_K / 32], sw[QK_K / 32];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        searchScaleMinImportance(15, x, qw + QK_K * i, scales, mins, sw, L);
        encodeScaleMinImportance(scales, mins, sw, y[i].d, y[i].dmin, y[i].scales);
        requantizeScaleMin(15, x, y[i].d, y[i].dmin, y[i].scales, L);
        packQ4K(L, y[i].qs);
    }
}

void quantizeQ5KRef(const float *x, BlockQ5K *y, int64_t n) {
    uint8_t L[QK_K];
    float scales[QK_K / 32], mins[QK_K / 32];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        searchScaleMinRef(31, x, scales, mins, L);
        encodeScaleMinRef(scales, mins, y[i].d, y[i].dmin, y[i].scales);
        requantizeScaleMin(31, x, y[i].d, y[i].dmin, y[i].scales, L);
        packQ5K(L, y[i]);
    }
}

void quantizeQ5KImportance(const float *x, BlockQ5K *y, int64_t n, const float *qw) {
    uint8_t L[QK_K];
    float scales[QK_K / 32], mins[QK_K / 32], sw[QK_K / 32];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        searchScaleMinImportance(31, x, qw + QK_K * i, scales, mins, sw, L);
        encodeScaleMinImportance(scales, mins, sw, y[i].d, y[i].dmin, y[i].scales);
        requantizeScaleMin(31, x, y[i].d, y[i].dmin, y[i].scales, L);
        packQ5K(L, y[i]);
    }
}

void quantizeQ6KRef(const float *x, BlockQ6K *y, int64_t n) {
    int8_t L[QK_K];
    float scales[QK_K / 16];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        for (int ib = 0; ib < QK_K / 16; ++ib) scales[ib] = makeQxQuants(16, 32, x + 16 * ib, L + 16 * ib, 1, nullptr);
        finishQ6K(x, scales, L, y[i]);
    }
}

void quantizeQ6KImportance(const float *x, BlockQ6K *y, int64_t n, const float *qw) {
    int8_t L[QK_K];
    float scales[QK_K / 16];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        for (int ib = 0; ib < QK_K / 16; ++ib)
            scales[ib] = makeQxQuants(16, 32, x + 16 * ib, L + 16 * ib, 1, qw + QK_K * i + 16 * ib);
        finishQ6K(x, scales, L, y[i]);
    }
}

void quantizeQ8KRef(const float *x, BlockQ8K *y, int64_t n) {
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        BlockQ8K &b = y[i];
        float max = 0;
        float amax = 0;
        for (int j = 0; j < QK_K; ++j) {
            const float ax = std::fabs(x[j]);
            if (ax > amax) {
                amax = ax;
                max = x[j];
            }
        }
        if (amax == 0) {
            // ggml leaves bsums untouched here; zero them so the output is deterministic.
            std::memset(&b, 0, sizeof(BlockQ8K));
            continue;
        }
        const float iscale = -127.f / max;
        for (int j = 0; j < QK_K; ++j) {
            const int v = nearestInt(iscale * x[j]);
            b.qs[j] = int8_t(v < 127 ? v : 127);
        }
        for (int j = 0; j < QK_K / 16; ++j) {
            int sum = 0;
            for (int ii = 0; ii < 16; ++ii) sum += b.qs[j * 16 + ii];
            b.bsums[j] = int16_t(sum);
        }
        b.d = 1 / iscale;
    }
}

} // namespace qb::kquant
