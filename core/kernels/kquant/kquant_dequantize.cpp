// K-quant decoders, float-for-float those of ggml (dequantize_row_qX_K): the same products in
// the same order (d * scale first, then times the level, then minus the min).
#include "float_convert.h"
#include "kernels/kquant/kquant_blocks.h"

#include <cstring>

namespace qb::kquant {

void dequantizeQ2K(const void *src, float *y, int64_t n) {
    const auto *x = static_cast<const BlockQ2K *>(src);
    for (int64_t i = 0; i < n / QK_K; i++) {
        const float d = fp16ToFp32(x[i].d);
        const float min = fp16ToFp32(x[i].dmin);
        const uint8_t *q = x[i].qs;
        int is = 0;
        for (int half = 0; half < QK_K; half += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int part = 0; part < 2; ++part) {
                    const uint8_t sc = x[i].scales[is++];
                    const float dl = d * float(sc & 0xF);
                    const float ml = min * float(sc >> 4);
                    for (int l = 0; l < 16; ++l) *y++ = dl * float((q[l + 16 * part] >> shift) & 3) - ml;
                }
            }
            q += 32;
        }
    }
}

void dequantizeQ3K(const void *src, float *y, int64_t n) {
    const auto *x = static_cast<const BlockQ3K *>(src);
    for (int64_t i = 0; i < n / QK_K; i++) {
        const float dAll = fp16ToFp32(x[i].d);
        const uint8_t *q = x[i].qs;
        const uint8_t *hm = x[i].hmask;
        uint8_t m = 1;
        int is = 0;
        for (int half = 0; half < QK_K; half += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int part = 0; part < 2; ++part) {
                    const float dl = dAll * float(unpackScaleQ3K(is++, x[i].scales));
                    for (int l = 0; l < 16; ++l) {
                        const int level = ((q[l + 16 * part] >> shift) & 3) - ((hm[l + 16 * part] & m) ? 0 : 4);
                        *y++ = dl * float(level);
                    }
                }
                m = uint8_t(m << 1);
            }
            q += 32;
        }
    }
}

void dequantizeQ4K(const void *src, float *y, int64_t n) {
    const auto *x = static_cast<const BlockQ4K *>(src);
    for (int64_t i = 0; i < n / QK_K; i++) {
        const uint8_t *q = x[i].qs;
        const float d = fp16ToFp32(x[i].d);
        const float min = fp16ToFp32(x[i].dmin);
        int is = 0;
        uint8_t sc, m;
        for (int j = 0; j < QK_K; j += 64) {
            unpackScaleMinK4(is + 0, x[i].scales, sc, m);
            const float d1 = d * float(sc);
            const float m1 = min * float(m);
            unpackScaleMinK4(is + 1, x[i].scales, sc, m);
            const float d2 = d * float(sc);
            const float m2 = min * float(m);
            for (int l = 0; l < 32; ++l) *y++ = d1 * float(q[l] & 0xF) - m1;
            for (int l = 0; l < 32; ++l) *y++ = d2 * float(q[l] >> 4) - m2;
            q += 32;
            is += 2;
        }
    }
}

void dequantizeQ5K(const void *src, float *y, int64_t n) {
    const auto *x = static_cast<const BlockQ5K *>(src);
    for (int64_t i = 0; i < n / QK_K; i++) {
        const uint8_t *ql = x[i].qs;
        const uint8_t *qh = x[i].qh;
        const float d = fp16ToFp32(x[i].d);
        const float min = fp16ToFp32(x[i].dmin);
        int is = 0;
        uint8_t sc, m;
        uint8_t u1 = 1, u2 = 2;
        for (int j = 0; j < QK_K; j += 64) {
            unpackScaleMinK4(is + 0, x[i].scales, sc, m);
            const float d1 = d * float(sc);
            const float m1 = min * float(m);
            unpackScaleMinK4(is + 1, x[i].scales, sc, m);
            const float d2 = d * float(sc);
            const float m2 = min * float(m);
            for (int l = 0; l < 32; ++l) *y++ = d1 * float((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; ++l) *y++ = d2 * float((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
            ql += 32;
            is += 2;
            u1 = uint8_t(u1 << 2);
            u2 = uint8_t(u2 << 2);
        }
    }
}

void dequantizeQ6K(const void *src, float *y, int64_t n) {
    const auto *x = static_cast<const BlockQ6K *>(src);
    for (int64_t i = 0; i < n / QK_K; i++) {
        const float d = fp16ToFp32(x[i].d);
        const uint8_t *ql = x[i].ql;
        const uint8_t *qh = x[i].qh;
        const int8_t *sc = x[i].scales;
        for (int half = 0; half < QK_K; half += 128) {
            for (int l = 0; l < 32; ++l) {
                const int is = l / 16;
                const int q1 = int((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int q2 = int((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int q3 = int((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int q4 = int((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l + 0] = d * float(sc[is + 0]) * float(q1);
                y[l + 32] = d * float(sc[is + 2]) * float(q2);
                y[l + 64] = d * float(sc[is + 4]) * float(q3);
                y[l + 96] = d * float(sc[is + 6]) * float(q4);
            }
            y += 128;
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }
}

void dequantizeQ8K(const void *src, float *y, int64_t n) {
    const auto *x = static_cast<const BlockQ8K *>(src);
    for (int64_t i = 0; i < n / QK_K; i++) {
        BlockQ8K b;
        std::memcpy(&b, &x[i], sizeof b);  // rows of Q8_K need not be 4-byte aligned in a file
        for (int j = 0; j < QK_K; ++j) *y++ = b.d * float(b.qs[j]);
    }
}

} // namespace qb::kquant
