// Kernels for MXFP4, NVFP4, Q1_0 and Q2_0: the small-block types ggml added after b4748.
//
// The golden data for these came from ggml d99724f2 (quantize_row_{mxfp4,nvfp4,q1_0,q2_0}_ref and
// their dequantizers); comments below note the rounding details that byte equality depends on.
// ggml's quantize_* for all four ignore the importance matrix (each runs its row reference over
// the whole tensor), so these do too.
#include "float_convert.h"
#include "kernels/kernel_ops.h"
#include "kernels/micro/micro_fp4.h"

#include <climits>
#include <cmath>
#include <cstring>

namespace qb {
namespace {

using micro::kFp4Values;

constexpr int kQkMxfp4 = 32;
constexpr int kQkNvfp4 = 64;
constexpr int kQkNvfp4Sub = 16;
constexpr int kQk1_0 = 128;
constexpr int kQk2_0 = 64;

struct BlockMxfp4 {
    uint8_t e;                  // E8M0 shared exponent
    uint8_t qs[kQkMxfp4 / 2];   // value j in the low nibble of byte j, value j+16 in the high nibble
};
static_assert(sizeof(BlockMxfp4) == 17, "MXFP4 block must be 17 bytes as in ggml");

struct BlockNvfp4 {
    uint8_t d[kQkNvfp4 / kQkNvfp4Sub];  // UE4M3 scale per 16 values
    uint8_t qs[kQkNvfp4 / 2];           // per sub-block: value j low nibble, value j+8 high nibble
};
static_assert(sizeof(BlockNvfp4) == 36, "NVFP4 block must be 36 bytes as in ggml");

struct BlockQ1_0 {
    uint16_t d;               // fp16 mean absolute value
    uint8_t qs[kQk1_0 / 8];   // sign bits, value j at bit j%8 of byte j/8 (1 = non-negative)
};
static_assert(sizeof(BlockQ1_0) == 18, "Q1_0 block must be 18 bytes as in ggml");

struct BlockQ2_0 {
    uint16_t d;               // fp16 absolute maximum
    uint8_t qs[kQk2_0 / 4];   // 2-bit codes, value j at bits 2*(j%4) of byte j/4; code c means (c-1)*d
};
static_assert(sizeof(BlockQ2_0) == 18, "Q2_0 block must be 18 bytes as in ggml");

// C's float-to-int conversion as x86-64 performs it (cvttss2si): truncate, and out-of-range or
// NaN give INT_MIN. ggml relies on it only for absurd inputs (inf, NaN, block maxima below
// 2^-125); doing it explicitly gives the same bytes without undefined behaviour.
int32_t truncLikeX86(float v) { return (v >= -2147483648.0f && v < 2147483648.0f) ? int32_t(v) : INT_MIN; }

// (uint8_t) of a float: the int32 conversion above, then the low byte.
uint8_t floatToByteLikeX86(float v) { return uint8_t(uint32_t(truncLikeX86(v)) & 0xFF); }

// ---- MXFP4: 32 values, one power-of-two scale ------------------------------------------------

void quantizeBlockMxfp4(const float *x, BlockMxfp4 &out) {
    float amax = 0.0f;
    for (int j = 0; j < kQkMxfp4; ++j)
        if (amax < std::fabs(x[j])) amax = std::fabs(x[j]);
    // ggml takes floorf(log2f(amax)) in float: for amax just below a power of two, float log2f
    // rounds up to the integer and the exponent comes out one higher than the exact one. Keep it.
    const uint8_t e = amax > 0.0f ? floatToByteLikeX86(std::floor(log2f(amax)) - 2.0f + 127.0f) : 0;
    const float d = micro::e8m0ToFp32Half(e);
    out.e = e;
    for (int j = 0; j < kQkMxfp4 / 2; ++j) {
        const uint8_t lo = micro::nearestFp4(x[j], d);
        const uint8_t hi = micro::nearestFp4(x[j + kQkMxfp4 / 2], d);
        out.qs[j] = uint8_t(lo | (hi << 4));
    }
}

size_t quantizeMxfp4(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *) {
    const int64_t blocks = nrows * ncols / kQkMxfp4;
    auto *out = static_cast<BlockMxfp4 *>(dst);
    for (int64_t b = 0; b < blocks; ++b) quantizeBlockMxfp4(src + b * kQkMxfp4, out[b]);
    return size_t(blocks) * sizeof(BlockMxfp4);
}

void dequantizeMxfp4(const void *src, float *dst, int64_t n) {
    const auto *in = static_cast<const BlockMxfp4 *>(src);
    for (int64_t b = 0; b < n / kQkMxfp4; ++b) {
        const float d = micro::e8m0ToFp32Half(in[b].e);
        float *y = dst + b * kQkMxfp4;
        for (int j = 0; j < kQkMxfp4 / 2; ++j) {
            y[j] = float(kFp4Values[in[b].qs[j] & 0x0F]) * d;
            y[j + kQkMxfp4 / 2] = float(kFp4Values[in[b].qs[j] >> 4]) * d;
        }
    }
}

// ---- NVFP4: 64 values in four sub-blocks of 16, each with an unsigned E4M3 scale -------------

void quantizeBlockNvfp4(const float *x, BlockNvfp4 &out) {
    for (int s = 0; s < kQkNvfp4 / kQkNvfp4Sub; ++s) {
        const float *xs = x + s * kQkNvfp4Sub;
        float amax = 0.0f;
        for (int j = 0; j < kQkNvfp4Sub; ++j)
            if (amax < std::fabs(xs[j])) amax = std::fabs(xs[j]);
        // The largest E2M1 magnitude is 6: amax / 6 maps it onto amax. The scale decodes at half,
        // matching the doubled value table.
        const uint8_t code = micro::fp32ToUe4m3(amax / 6.0f);
        out.d[s] = code;
        const float d = micro::ue4m3ToFp32Half(code);
        for (int j = 0; j < kQkNvfp4Sub / 2; ++j) {
            const uint8_t lo = micro::nearestFp4(xs[j], d);
            const uint8_t hi = micro::nearestFp4(xs[j + kQkNvfp4Sub / 2], d);
            out.qs[s * (kQkNvfp4Sub / 2) + j] = uint8_t(lo | (hi << 4));
        }
    }
}

size_t quantizeNvfp4(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *) {
    const int64_t blocks = nrows * ncols / kQkNvfp4;
    auto *out = static_cast<BlockNvfp4 *>(dst);
    for (int64_t b = 0; b < blocks; ++b) quantizeBlockNvfp4(src + b * kQkNvfp4, out[b]);
    return size_t(blocks) * sizeof(BlockNvfp4);
}

void dequantizeNvfp4(const void *src, float *dst, int64_t n) {
    const auto *in = static_cast<const BlockNvfp4 *>(src);
    for (int64_t b = 0; b < n / kQkNvfp4; ++b) {
        for (int s = 0; s < kQkNvfp4 / kQkNvfp4Sub; ++s) {
            const float d = micro::ue4m3ToFp32Half(in[b].d[s]);
            const uint8_t *q = in[b].qs + s * (kQkNvfp4Sub / 2);
            float *y = dst + b * kQkNvfp4 + s * kQkNvfp4Sub;
            for (int j = 0; j < kQkNvfp4Sub / 2; ++j) {
                y[j] = float(kFp4Values[q[j] & 0x0F]) * d;
                y[j + kQkNvfp4Sub / 2] = float(kFp4Values[q[j] >> 4]) * d;
            }
        }
    }
}

// ---- Q1_0: 128 signs and their mean magnitude ------------------------------------------------

void quantizeBlockQ1_0(const float *x, BlockQ1_0 &out) {
    float sumAbs = 0.0f;
    for (int j = 0; j < kQk1_0; ++j) sumAbs += std::fabs(x[j]);  // sequential, as ggml sums it
    out.d = fp32ToFp16(sumAbs / kQk1_0);
    std::memset(out.qs, 0, sizeof(out.qs));
    for (int j = 0; j < kQk1_0; ++j)
        if (x[j] >= 0.0f) out.qs[j / 8] |= uint8_t(1u << (j % 8));
}

size_t quantizeQ1_0(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *) {
    const int64_t blocks = nrows * ncols / kQk1_0;
    auto *out = static_cast<BlockQ1_0 *>(dst);
    for (int64_t b = 0; b < blocks; ++b) quantizeBlockQ1_0(src + b * kQk1_0, out[b]);
    return size_t(blocks) * sizeof(BlockQ1_0);
}

void dequantizeQ1_0(const void *src, float *dst, int64_t n) {
    const auto *in = static_cast<const BlockQ1_0 *>(src);
    for (int64_t b = 0; b < n / kQk1_0; ++b) {
        const float d = fp16ToFp32(in[b].d);
        float *y = dst + b * kQk1_0;
        for (int j = 0; j < kQk1_0; ++j) y[j] = ((in[b].qs[j / 8] >> (j % 8)) & 1) ? d : -d;
    }
}

// ---- Q2_0: 64 values in {-1, 0, +1, +2} times the block's absolute maximum -----------------

// Rounds x * (1 / amax), not x / amax: the quotient form gives a different code for one value
// of the golden tensor.
void quantizeBlockQ2_0(const float *x, BlockQ2_0 &out) {
    float amax = 0.0f;
    for (int j = 0; j < kQk2_0; ++j)
        if (amax < std::fabs(x[j])) amax = std::fabs(x[j]);
    const float id = amax != 0.0f ? 1.0f / amax : 0.0f;
    out.d = fp32ToFp16(amax);
    std::memset(out.qs, 0, sizeof(out.qs));
    for (int j = 0; j < kQk2_0; ++j) {
        int l = truncLikeX86(std::round(x[j] * id));
        l = l < -1 ? -1 : (l > 2 ? 2 : l);
        out.qs[j / 4] |= uint8_t((l + 1) << (2 * (j % 4)));
    }
}

size_t quantizeQ2_0(const float *src, void *dst, int64_t nrows, int64_t ncols, const float *) {
    const int64_t blocks = nrows * ncols / kQk2_0;
    auto *out = static_cast<BlockQ2_0 *>(dst);
    for (int64_t b = 0; b < blocks; ++b) quantizeBlockQ2_0(src + b * kQk2_0, out[b]);
    return size_t(blocks) * sizeof(BlockQ2_0);
}

void dequantizeQ2_0(const void *src, float *dst, int64_t n) {
    const auto *in = static_cast<const BlockQ2_0 *>(src);
    for (int64_t b = 0; b < n / kQk2_0; ++b) {
        const float d = fp16ToFp32(in[b].d);
        float *y = dst + b * kQk2_0;
        for (int j = 0; j < kQk2_0; ++j) {
            const int code = (in[b].qs[j / 4] >> (2 * (j % 4))) & 3;
            y[j] = float(code - 1) * d;
        }
    }
}

constexpr KernelOps kMxfp4{GgmlType::MXFP4, quantizeMxfp4, nullptr, dequantizeMxfp4, false};
constexpr KernelOps kNvfp4{GgmlType::NVFP4, quantizeNvfp4, nullptr, dequantizeNvfp4, false};
constexpr KernelOps kQ1_0{GgmlType::Q1_0, quantizeQ1_0, nullptr, dequantizeQ1_0, false};
constexpr KernelOps kQ2_0{GgmlType::Q2_0, quantizeQ2_0, nullptr, dequantizeQ2_0, false};

} // namespace

const KernelOps *microKernelOps(GgmlType type) {
    switch (type) {
    case GgmlType::MXFP4: return &kMxfp4;
    case GgmlType::NVFP4: return &kNvfp4;
    case GgmlType::Q1_0: return &kQ1_0;
    case GgmlType::Q2_0: return &kQ2_0;
    default: return nullptr;
    }
}

} // namespace qb
