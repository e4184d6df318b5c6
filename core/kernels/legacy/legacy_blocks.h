// Block layouts of the legacy ggml types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0), their plain scalar
// block quantizers, importance-weighted row quantizers and decoders.
//
// Contract: the structs are byte-for-byte ggml's layouts (ggml-common.h: fp16 scale first,
// then fp16 min where the type has one, then the high-bit word, then the packed quants).
// The *Reference functions quantize `blocks` consecutive blocks of 32 floats exactly as
// llama.cpp b4748's quantize_row_*_ref does, and are the yardstick for the SIMD paths in
// legacy_fast.cpp. Internal to the kernels folder.
#pragma once

#include <cstdint>

namespace qb::legacy {

inline constexpr int kBlock = 32;  // elements per block for every legacy type
inline constexpr int kHalf = kBlock / 2;

struct BlockQ4_0 {
    uint16_t d;          // fp16 scale
    uint8_t qs[kHalf];   // element j in the low nibble of qs[j], element j+16 in the high nibble
};
static_assert(sizeof(BlockQ4_0) == 18, "Q4_0 block must be 18 bytes");

struct BlockQ4_1 {
    uint16_t d;          // fp16 scale
    uint16_t m;          // fp16 minimum
    uint8_t qs[kHalf];
};
static_assert(sizeof(BlockQ4_1) == 20, "Q4_1 block must be 20 bytes");

struct BlockQ5_0 {
    uint16_t d;
    uint8_t qh[4];       // fifth bit of element j at bit j (little-endian 32-bit word)
    uint8_t qs[kHalf];
};
static_assert(sizeof(BlockQ5_0) == 22, "Q5_0 block must be 22 bytes");

struct BlockQ5_1 {
    uint16_t d;
    uint16_t m;
    uint8_t qh[4];
    uint8_t qs[kHalf];
};
static_assert(sizeof(BlockQ5_1) == 24, "Q5_1 block must be 24 bytes");

struct BlockQ8_0 {
    uint16_t d;
    int8_t qs[kBlock];
};
static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 block must be 34 bytes");

// ggml turns floats into 8-bit quants with a plain C cast. On x86-64 that compiles to a
// 32-bit truncating conversion (cvttss2si) whose low byte is kept; NaN and out-of-range
// values give INT32_MIN. Spelled out here so the scalar code has no undefined behaviour for
// hostile inputs (tiny subnormal scales make the inverse scale infinite) and so the SIMD
// path, whose cvttps2dq follows the same rule, agrees with it for every input.
inline int32_t truncToInt32(float v) {
    if (!(v > -2147483904.0f && v < 2147483648.0f)) return INT32_MIN;
    return int32_t(v);
}
inline int32_t lowByteSigned(int32_t v) { return int32_t(int8_t(uint8_t(uint32_t(v) & 0xffu))); }
inline uint8_t lowByte(int32_t v) { return uint8_t(uint32_t(v) & 0xffu); }

// Plain scalar quantizers of `blocks` blocks; dst receives blocks * sizeof(Block) bytes.
void quantizeQ4_0Reference(const float *src, void *dst, int64_t blocks);
void quantizeQ4_1Reference(const float *src, void *dst, int64_t blocks);
void quantizeQ5_0Reference(const float *src, void *dst, int64_t blocks);
void quantizeQ5_1Reference(const float *src, void *dst, int64_t blocks);
void quantizeQ8_0Reference(const float *src, void *dst, int64_t blocks);

// One row of ncols floats with ncols importance weights (Q4_0, Q4_1, Q5_0, Q5_1 only: ggml's Q8_0
// ignores the weights): each block's scale (and minimum) searched against the weights, as
// llama.cpp b4748's quantize_row_q*_impl does. Writes ncols / 32 blocks to y.
template <typename Block>
void quantizeRowWeighted(const float *x, void *y, int64_t ncols, const float *importance);

// Decoders of n elements (dequantize_row_q4_0 ... dequantize_row_q8_0): integer quant times
// fp16 scale, plus the fp16 minimum for the _1 types, multiply then add, never fused.
void dequantizeQ4_0(const void *src, float *dst, int64_t n);
void dequantizeQ4_1(const void *src, float *dst, int64_t n);
void dequantizeQ5_0(const void *src, float *dst, int64_t n);
void dequantizeQ5_1(const void *src, float *dst, int64_t n);
void dequantizeQ8_0(const void *src, float *dst, int64_t n);

} // namespace qb::legacy
