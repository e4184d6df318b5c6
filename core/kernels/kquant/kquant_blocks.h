// K-quant block layouts and the row functions of the K-quant family (internal to kernels/).
//
// Contract: the structs are ggml-common.h's block_q2_K ... block_q8_K byte for byte (QK_K = 256,
// K_SCALE_SIZE = 12; sizes checked below). Quantizers take n floats (a multiple of QK_K) and
// write n / QK_K blocks. The *Ref functions are llama.cpp's quantize_row_qX_K_ref (used when no
// importance is given); the *Importance functions are quantize_row_qX_K_impl for ONE row of n
// elements with n importance weights. The pack/unpack helpers are shared with the fast path.
#pragma once

#include "ggml_types.h"

#include <cstdint>

namespace qb::kquant {

inline constexpr int kScaleBytes = 12;  // K_SCALE_SIZE

struct BlockQ2K {
    uint8_t scales[QK_K / 16];  // low nibble scale, high nibble min, per 16 elements
    uint8_t qs[QK_K / 4];       // 2-bit levels
    uint16_t d;                 // fp16 super-block scale of the scales
    uint16_t dmin;              // fp16 super-block scale of the mins
};
static_assert(sizeof(BlockQ2K) == 84, "block_q2_K is 84 bytes");

struct BlockQ3K {
    uint8_t hmask[QK_K / 8];        // high bit of each 3-bit level
    uint8_t qs[QK_K / 4];           // low 2 bits
    uint8_t scales[kScaleBytes];    // 16 six-bit scales
    uint16_t d;                     // fp16
};
static_assert(sizeof(BlockQ3K) == 110, "block_q3_K is 110 bytes");

struct BlockQ4K {
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[kScaleBytes];  // 8 six-bit scales and 8 six-bit mins
    uint8_t qs[QK_K / 2];
};
static_assert(sizeof(BlockQ4K) == 144, "block_q4_K is 144 bytes");

struct BlockQ5K {
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[kScaleBytes];
    uint8_t qh[QK_K / 8];
    uint8_t qs[QK_K / 2];
};
static_assert(sizeof(BlockQ5K) == 176, "block_q5_K is 176 bytes");

struct BlockQ6K {
    uint8_t ql[QK_K / 2];
    uint8_t qh[QK_K / 4];
    int8_t scales[QK_K / 16];
    uint16_t d;
};
static_assert(sizeof(BlockQ6K) == 210, "block_q6_K is 210 bytes");

struct BlockQ8K {
    float d;
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16];
};
static_assert(sizeof(BlockQ8K) == 292, "block_q8_K is 292 bytes");

// ---- quantizers (kquant_reference_low.cpp: Q2_K, Q3_K; kquant_reference_high.cpp: the rest)
void quantizeQ2KRef(const float *x, BlockQ2K *y, int64_t n);
void quantizeQ2KImportance(const float *x, BlockQ2K *y, int64_t n, const float *qw);
void quantizeQ3KRef(const float *x, BlockQ3K *y, int64_t n);
void quantizeQ3KImportance(const float *x, BlockQ3K *y, int64_t n, const float *qw);
void quantizeQ4KRef(const float *x, BlockQ4K *y, int64_t n);
void quantizeQ4KImportance(const float *x, BlockQ4K *y, int64_t n, const float *qw);
void quantizeQ5KRef(const float *x, BlockQ5K *y, int64_t n);
void quantizeQ5KImportance(const float *x, BlockQ5K *y, int64_t n, const float *qw);
void quantizeQ6KRef(const float *x, BlockQ6K *y, int64_t n);
void quantizeQ6KImportance(const float *x, BlockQ6K *y, int64_t n, const float *qw);
void quantizeQ8KRef(const float *x, BlockQ8K *y, int64_t n);

// ---- dequantizers (kquant_dequant.cpp)
void dequantizeQ2K(const void *src, float *dst, int64_t n);
void dequantizeQ3K(const void *src, float *dst, int64_t n);
void dequantizeQ4K(const void *src, float *dst, int64_t n);
void dequantizeQ5K(const void *src, float *dst, int64_t n);
void dequantizeQ6K(const void *src, float *dst, int64_t n);
void dequantizeQ8K(const void *src, float *dst, int64_t n);

// ---- packing shared by the reference and fast quantizers

// get_scale_min_k4: the j-th six-bit scale and min of a Q4_K / Q5_K block.
inline void unpackScaleMinK4(int j, const uint8_t *q, uint8_t &sc, uint8_t &m) {
    if (j < 4) {
        sc = q[j] & 63;
        m = q[j + 4] & 63;
    } else {
        sc = uint8_t((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        m = uint8_t((q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4));
    }
}

// Stores eight six-bit (scale, min) pairs in the 12-byte Q4_K / Q5_K layout.
inline void packScaleMinK4(const uint8_t *ls, const uint8_t *lm, uint8_t *scales) {
    for (int j = 0; j < QK_K / 32; ++j) {
        if (j < 4) {
            scales[j] = ls[j];
            scales[j + 4] = lm[j];
        } else {
            scales[j + 4] = uint8_t((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
            scales[j - 4] |= uint8_t((ls[j] >> 4) << 6);
            scales[j - 0] |= uint8_t((lm[j] >> 4) << 6);
        }
    }
}

// Stores sixteen six-bit Q3_K scale codes (0..63) in the 12-byte layout.
inline void packScalesQ3K(const int *codes, uint8_t *scales) {
    for (int k = 0; k < kScaleBytes; ++k) scales[k] = 0;
    for (int j = 0; j < QK_K / 16; ++j) {
        int l = codes[j];
        if (j < 8)
            scales[j] = uint8_t(l & 0xF);
        else
            scales[j - 8] |= uint8_t((l & 0xF) << 4);
        l >>= 4;
        scales[j % 4 + 8] |= uint8_t(l << (2 * (j / 4)));
    }
}

// The signed Q3_K scale of sub-block j (code - 32).
inline int unpackScaleQ3K(int j, const uint8_t *scales) {
    const int low = j < 8 ? scales[j] & 0xF : scales[j - 8] >> 4;
    return int8_t((low | (((scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32);
}

// Four 2-bit levels per byte: element j + l + 32*k goes to bits 2k of byte j/4 + l.
inline void pack2Bit(const uint8_t *L, uint8_t *qs) {
    for (int j = 0; j < QK_K; j += 128)
        for (int l = 0; l < 32; ++l)
            qs[j / 4 + l] = uint8_t(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
}

// Q3_K: levels 0..7; the high bit goes to hmask (bit k of byte m for element 32k + m).
inline void packQ3K(uint8_t *L, BlockQ3K &b) {
    for (int k = 0; k < QK_K / 8; ++k) b.hmask[k] = 0;
    int m = 0;
    uint8_t hm = 1;
    for (int j = 0; j < QK_K; ++j) {
        if (L[j] > 3) {
            b.hmask[m] |= hm;
            L[j] -= 4;
        }
        if (++m == QK_K / 8) {
            m = 0;
            hm = uint8_t(hm << 1);
        }
    }
    pack2Bit(L, b.qs);
}

// Q4_K: two 4-bit levels per byte, elements j + l (low) and j + l + 32 (high) per 64.
inline void packQ4K(const uint8_t *L, uint8_t *qs) {
    for (int j = 0; j < QK_K; j += 64) {
        for (int l = 0; l < 32; ++l) qs[l] = uint8_t(L[j + l] | (L[j + l + 32] << 4));
        qs += 32;
    }
}

// Q5_K: low nibbles as Q4_K, fifth bits in qh (bit pair per 64 elements).
inline void packQ5K(const uint8_t *L, BlockQ5K &b) {
    uint8_t *ql = b.qs;
    for (int k = 0; k < QK_K / 8; ++k) b.qh[k] = 0;
    uint8_t m1 = 1, m2 = 2;
    for (int n = 0; n < QK_K; n += 64) {
        for (int j = 0; j < 32; ++j) {
            int l1 = L[n + j];
            if (l1 > 15) {
                l1 -= 16;
                b.qh[j] |= m1;
            }
            int l2 = L[n + j + 32];
            if (l2 > 15) {
                l2 -= 16;
                b.qh[j] |= m2;
            }
            ql[j] = uint8_t(l1 | (l2 << 4));
        }
        m1 = uint8_t(m1 << 2);
        m2 = uint8_t(m2 << 2);
        ql += 32;
    }
}

// Q6_K: levels 0..63; low nibbles in ql, top two bits in qh, per 128 elements.
inline void packQ6K(const int8_t *L, BlockQ6K &b) {
    uint8_t *ql = b.ql;
    uint8_t *qh = b.qh;
    for (int j = 0; j < QK_K; j += 128) {
        for (int l = 0; l < 32; ++l) {
            const uint8_t q1 = L[j + l + 0] & 0xF;
            const uint8_t q2 = L[j + l + 32] & 0xF;
            const uint8_t q3 = L[j + l + 64] & 0xF;
            const uint8_t q4 = L[j + l + 96] & 0xF;
            ql[l + 0] = uint8_t(q1 | (q3 << 4));
            ql[l + 32] = uint8_t(q2 | (q4 << 4));
            qh[l] = uint8_t((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                            ((L[j + l + 96] >> 4) << 6));
        }
        ql += 64;
        qh += 32;
    }
}

} // namespace qb::kquant
