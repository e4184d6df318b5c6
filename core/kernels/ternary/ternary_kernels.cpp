// Kernels for TQ1_0 and TQ2_0: ternary weights {-1, 0, +1} times one fp16 scale per 256 values.
//
// Algorithm and layout follow llama.cpp b4748 (ggml-quants.c, quantize_row_tq1_0_ref /
// quantize_row_tq2_0_ref and their dequantizers). The scale is the block's absolute maximum,
// each value is lroundf(x / amax) (computed as x * (1 / amax)), and llama.cpp ignores the
// importance matrix for both types, so we do too.
#include "float_convert.h"
#include "kernels/kernel_ops.h"

#include <cmath>
#include <cstring>

namespace qb {
namespace {

// TQ1_0 packs five trits per byte as a fixed-point fraction of 3^5 (so that multiplying by 3
// shifts the next trit into the top of a 16-bit product), plus four trits per byte for the
// last 16 values.
struct BlockTq1_0 {
    uint8_t qs[(QK_K - 4 * QK_K / 64) / 5];  // 240 values, 5 per byte
    uint8_t qh[QK_K / 64];                   // 16 values, 4 per byte
    uint16_t d;                              // fp16 scale
};
static_assert(sizeof(BlockTq1_0) == 54, "TQ1_0 block must be 54 bytes as in ggml");

struct BlockTq2_0 {
    uint8_t qs[QK_K / 4];  // 2 bits per value
    uint16_t d;            // fp16 scale
};
static_assert(sizeof(BlockTq2_0) == 66, "TQ2_0 block must be 66 bytes as in ggml");

constexpr int kQsBytes = int(sizeof(BlockTq1_0::qs));                  // 48
constexpr int kQsWideBytes = kQsBytes - kQsBytes % 32;                 // 32: first span, 32 lanes
constexpr int kQhBytes = int(sizeof(BlockTq1_0::qh));                  // 4

// Absolute maximum of one block, in element order like the reference (order does not matter
// for a max, but NaN handling does: MAX(a, b) keeps a when the comparison is false).
float blockAmax(const float *x) {
    float amax = 0.0f;
    for (int64_t j = 0; j < QK_K; ++j) {
        const float a = std::fabs(x[j]);
        amax = amax > a ? amax : a;
    }
    return amax;
}

// -1, 0, +1 mapped to 0, 1, 2.
inline int trit(float x, float id) { return int(std::lround(x * id)) + 1; }

// Turns a base-3 number of five trits (0..242) into the byte whose top trit comes out first
// under "multiply by 3, take the high byte": the ceiling of q * 256 / 243.
inline uint8_t packTrits(unsigned q) { return uint8_t((q * 256 + 242) / 243); }

void quantizeBlockTq1_0(const float *x, BlockTq1_0 &out) {
    const float d = blockAmax(x);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out.d = fp32ToFp16(d);

    // Bytes 0..31 hold values 0..159: byte m gets values m, m+32, ..., m+128.
    for (int m = 0; m < 32; ++m) {
        unsigned q = 0;
        for (int n = 0; n < 5; ++n) q = q * 3 + unsigned(trit(x[m + n * 32], id));
        out.qs[m] = packTrits(q);
    }
    x += 5 * 32;
    // Bytes 32..47 hold values 160..239: byte 32+m gets values 160+m, +16, ..., +64.
    for (int m = 0; m < kQsBytes - kQsWideBytes; ++m) {
        unsigned q = 0;
        for (int n = 0; n < 5; ++n) q = q * 3 + unsigned(trit(x[m + n * 16], id));
        out.qs[kQsWideBytes + m] = packTrits(q);
    }
    x += 5 * 16;
    // qh: four trits per byte, shifted up one trit so the same decoder reads them.
    for (int j = 0; j < kQhBytes; ++j) {
        unsigned q = 0;
        for (int m = 0; m < 4; ++m) q = q * 3 + unsigned(trit(x[j + m * kQhBytes], id));
        out.qh[j] = packTrits(q * 3);
    }
}

size_t quantizeTq1_0(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *) {
    const int64_t blocks = nrows * ncols / QK_K;
    auto *out = static_cast<BlockTq1_0 *>(dst);
    for (int64_t b = 0; b < blocks; ++b) quantizeBlockTq1_0(src + b * QK_K, out[b]);
    return size_t(blocks) * sizeof(BlockTq1_0);
}

// The trit at position n (0 = most significant) of a packed byte.
inline float tritValue(uint8_t packed, int n, float d) {
    static constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
    const uint8_t q = uint8_t(packed * kPow3[n]);  // drops the n leading trits (mod 256)
    const int t = (int(q) * 3) >> 8;
    return float(t - 1) * d;
}

void dequantizeTq1_0(const void *src, float *dst, int64_t n) {
    const auto *in = static_cast<const BlockTq1_0 *>(src);
    for (int64_t b = 0; b < n / QK_K; ++b) {
        const BlockTq1_0 &blk = in[b];
        const float d = fp16ToFp32(blk.d);
        for (int t = 0; t < 5; ++t)
            for (int m = 0; m < 32; ++m) *dst++ = tritValue(blk.qs[m], t, d);
        for (int t = 0; t < 5; ++t)
            for (int m = 0; m < kQsBytes - kQsWideBytes; ++m) *dst++ = tritValue(blk.qs[kQsWideBytes + m], t, d);
        for (int t = 0; t < 4; ++t)
            for (int j = 0; j < kQhBytes; ++j) *dst++ = tritValue(blk.qh[j], t, d);
    }
}

void quantizeBlockTq2_0(const float *x, BlockTq2_0 &out) {
    const float d = blockAmax(x);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out.d = fp32ToFp16(d);
    // Each 32-byte span covers 128 values; value m + 32*n of the span sits in bits 2n of byte m.
    for (int span = 0; span < QK_K / 128; ++span) {
        const float *xs = x + span * 128;
        for (int m = 0; m < 32; ++m) {
            unsigned q = 0;
            for (int n = 0; n < 4; ++n) q += unsigned(trit(xs[m + n * 32], id) & 3) << (2 * n);
            out.qs[span * 32 + m] = uint8_t(q);
        }
    }
}

size_t quantizeTq2_0(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *) {
    const int64_t blocks = nrows * ncols / QK_K;
    auto *out = static_cast<BlockTq2_0 *>(dst);
    for (int64_t b = 0; b < blocks; ++b) quantizeBlockTq2_0(src + b * QK_K, out[b]);
    return size_t(blocks) * sizeof(BlockTq2_0);
}

void dequantizeTq2_0(const void *src, float *dst, int64_t n) {
    const auto *in = static_cast<const BlockTq2_0 *>(src);
    for (int64_t b = 0; b < n / QK_K; ++b) {
        const BlockTq2_0 &blk = in[b];
        const float d = fp16ToFp32(blk.d);
        for (int span = 0; span < QK_K / 128; ++span)
            for (int l = 0; l < 4; ++l)
                for (int m = 0; m < 32; ++m) {
                    const int q = (blk.qs[span * 32 + m] >> (2 * l)) & 3;
                    *dst++ = float(q - 1) * d;
                }
    }
}

constexpr KernelOps kTq1_0{GgmlType::TQ1_0, quantizeTq1_0, nullptr, dequantizeTq1_0, false};
constexpr KernelOps kTq2_0{GgmlType::TQ2_0, quantizeTq2_0, nullptr, dequantizeTq2_0, false};

} // namespace

const KernelOps *ternaryKernelOps(GgmlType type) {
    switch (type) {
    case GgmlType::TQ1_0: return &kTq1_0;
    case GgmlType::TQ2_0: return &kTq2_0;
    default: return nullptr;
    }
}

} // namespace qb
