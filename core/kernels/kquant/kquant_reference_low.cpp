// Q2_K and Q3_K quantizers in llama.cpp b4748's exact operation order (the plain scalar
// reference; kquant_fast.cpp computes the same bytes faster). The fp16 round trips of the
// super-block scales are deliberate: ggml re-reads d from the block before requantizing.
#include "float_convert.h"
#include "kernels/kquant/kquant_stages.h"
#include "kernels/quant_search.h"

#include <cmath>
#include <cstring>

namespace qb::kquant {

// ---------------------------------------------------------------- Q2_K

namespace {

// Final 2-bit levels from the stored (fp16) scales; sub-blocks with a zero scale keep the
// levels their search produced, as in ggml.
void requantizeQ2K(const float *x, const BlockQ2K &b, uint8_t *L) {
    const float dAll = fp16ToFp32(b.d);
    const float mAll = fp16ToFp32(b.dmin);
    for (int j = 0; j < QK_K / 16; ++j) {
        const float d = dAll * float(b.scales[j] & 0xF);
        if (d == 0) continue;
        const float dm = mAll * float(b.scales[j] >> 4);
        for (int ii = 0; ii < 16; ++ii) {
            int l = nearestInt((x[16 * j + ii] + dm) / d);
            l = l < 0 ? 0 : (l > 3 ? 3 : l);
            L[16 * j + ii] = uint8_t(l);
        }
    }
}

} // namespace

void encodeScalesQ2KRef(const float *scales, const float *mins, BlockQ2K &b) {
    const float q4scale = 15.f;
    float maxScale = 0;
    float maxMin = 0;
    for (int j = 0; j < QK_K / 16; ++j) {
        if (scales[j] > maxScale) maxScale = scales[j];
        if (mins[j] > maxMin) maxMin = mins[j];
    }
    if (maxScale > 0) {
        const float iscale = q4scale / maxScale;
        for (int j = 0; j < QK_K / 16; ++j) b.scales[j] = uint8_t(nearestInt(iscale * scales[j]));
        b.d = fp32ToFp16(maxScale / q4scale);
    } else {
        for (int j = 0; j < QK_K / 16; ++j) b.scales[j] = 0;
        b.d = fp32ToFp16(0.f);
    }
    if (maxMin > 0) {
        const float iscale = q4scale / maxMin;
        for (int j = 0; j < QK_K / 16; ++j) b.scales[j] |= uint8_t(nearestInt(iscale * mins[j]) << 4);
        b.dmin = fp32ToFp16(maxMin / q4scale);
    } else {
        b.dmin = fp32ToFp16(0.f);
    }
}

void encodeScalesQ2KImportance(const float *scales, const float *mins, const float *sw, BlockQ2K &b) {
    uint8_t Ls[QK_K / 16], Lm[QK_K / 16];
    const float dm = makeQpQuants(QK_K / 16, 15, scales, Ls, sw);
    const float mm = makeQpQuants(QK_K / 16, 15, mins, Lm, sw);
    b.d = fp32ToFp16(dm);
    b.dmin = fp32ToFp16(mm);
    for (int j = 0; j < QK_K / 16; ++j) b.scales[j] = uint8_t(Ls[j] | (Lm[j] << 4));
}

void quantizeQ2KRef(const float *x, BlockQ2K *y, int64_t n) {
    uint8_t L[QK_K];
    uint8_t Laux[16];
    float weights[16];
    float mins[QK_K / 16];
    float scales[QK_K / 16];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        for (int j = 0; j < QK_K / 16; ++j) {
            for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
            scales[j] = makeQkx2Quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, true);
        }
        encodeScalesQ2KRef(scales, mins, y[i]);
        requantizeQ2K(x, y[i], L);
        pack2Bit(L, y[i].qs);
    }
}

void quantizeQ2KImportance(const float *x, BlockQ2K *y, int64_t n, const float *qw) {
    uint8_t L[QK_K];
    uint8_t Laux[16];
    float mins[QK_K / 16];
    float scales[QK_K / 16];
    float sw[QK_K / 16];
    float weight[16];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        float sumx2 = 0;
        for (int j = 0; j < QK_K; ++j) sumx2 += x[j] * x[j];
        const float sigma2 = sumx2 / QK_K;
        for (int j = 0; j < QK_K / 16; ++j) {
            const float *w = qw + QK_K * i + 16 * j;
            for (int l = 0; l < 16; ++l) weight[l] = w[l] * std::sqrt(sigma2 + x[16 * j + l] * x[16 * j + l]);
            sw[j] = 0;
            for (int l = 0; l < 16; ++l) sw[j] += weight[l];
            scales[j] = makeQkx3Quants(16, 3, x + 16 * j, weight, L + 16 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
        }
        encodeScalesQ2KImportance(scales, mins, sw, y[i]);
        requantizeQ2K(x, y[i], L);
        pack2Bit(L, y[i].qs);
    }
}

// ---------------------------------------------------------------- Q3_K

namespace {

// Final levels 0..7 from the stored scales; zero-scale sub-blocks keep their search levels.
void requantizeQ3K(const float *x, const BlockQ3K &b, int8_t *L) {
    const float dAll = fp16ToFp32(b.d);
    for (int j = 0; j < QK_K / 16; ++j) {
        const float d = dAll * float(unpackScaleQ3K(j, b.scales));
        if (d == 0) continue;
        for (int ii = 0; ii < 16; ++ii) {
            int l = nearestInt(x[16 * j + ii] / d);
            l = l < -4 ? -4 : (l > 3 ? 3 : l);
            L[16 * j + ii] = int8_t(l + 4);
        }
    }
}

} // namespace

void encodeScalesQ3KRef(const float *scales, BlockQ3K &b) {
    float maxScale = 0;
    float amax = 0;
    for (int j = 0; j < QK_K / 16; ++j) {
        const float scale = std::fabs(scales[j]);
        if (scale > amax) {
            amax = scale;
            maxScale = scales[j];
        }
    }
    if (maxScale != 0) {
        const float iscale = -32.f / maxScale;
        int codes[QK_K / 16];
        for (int j = 0; j < QK_K / 16; ++j) {
            // ggml narrows to int8 before clamping.
            const int l = int8_t(nearestInt(iscale * scales[j]));
            codes[j] = (l < -32 ? -32 : (l > 31 ? 31 : l)) + 32;
        }
        packScalesQ3K(codes, b.scales);
        b.d = fp32ToFp16(1 / iscale);
    } else {
        std::memset(b.scales, 0, kScaleBytes);
        b.d = fp32ToFp16(0.f);
    }
}

void encodeScalesQ3KImportance(const float *scales, const float *sw, BlockQ3K &b) {
    int8_t Ls[QK_K / 16];
    int codes[QK_K / 16];
    const float dBlock = makeQxQuants(QK_K / 16, 32, scales, Ls, 1, sw);
    for (int j = 0; j < QK_K / 16; ++j) codes[j] = Ls[j];
    packScalesQ3K(codes, b.scales);
    b.d = fp32ToFp16(dBlock);
}

void quantizeQ3KRef(const float *x, BlockQ3K *y, int64_t n) {
    int8_t L[QK_K];
    float scales[QK_K / 16];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        for (int j = 0; j < QK_K / 16; ++j) scales[j] = makeQ3Quants(16, 4, x + 16 * j, L + 16 * j, true);
        encodeScalesQ3KRef(scales, y[i]);
        requantizeQ3K(x, y[i], L);
        packQ3K(reinterpret_cast<uint8_t *>(L), y[i]);
    }
}

void quantizeQ3KImportance(const float *x, BlockQ3K *y, int64_t n, const float *qw) {
    int8_t L[QK_K];
    float scales[QK_K / 16];
    float weight[16];
    float sw[QK_K / 16];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        float sumx2 = 0;
        for (int j = 0; j < QK_K; ++j) sumx2 += x[j] * x[j];
        const float sigma2 = 2 * sumx2 / QK_K;
        for (int j = 0; j < QK_K / 16; ++j) {
            const float *w = qw + QK_K * i + 16 * j;
            for (int l = 0; l < 16; ++l) weight[l] = w[l] * std::sqrt(sigma2 + x[16 * j + l] * x[16 * j + l]);
            float sumw = 0;
            for (int l = 0; l < 16; ++l) sumw += weight[l];
            sw[j] = sumw;
            scales[j] = makeQxQuants(16, 4, x + 16 * j, L + 16 * j, 1, weight);
        }
        encodeScalesQ3KImportance(scales, sw, y[i]);
        requantizeQ3K(x, y[i], L);
        packQ3K(reinterpret_cast<uint8_t *>(L), y[i]);
    }
}

} // namespace qb::kquant
