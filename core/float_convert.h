// Scalar conversions between float32 and the 16-bit float formats stored in GGUF files.
//
// Contract: bit-exact with ggml's reference conversions (round to nearest, ties to even;
// NaN becomes a quiet NaN of the same sign), so F16/BF16 outputs match llama-quantize.
// fp32 -> fp16 NaN is always 0x7e00 | sign (ggml drops the payload); fp16 -> fp32 NaN and
// fp32 -> bf16 NaN keep the payload's top bits and set the quiet bit.
#pragma once

#include <bit>
#include <cstdint>

namespace qb {

inline float fp16ToFp32(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000) << 16;
    const uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0x1f) {
        // inf stays inf; NaN keeps its payload and comes out quiet, as ggml's scalar conversion
        // (a float multiply, which quiets) and the F16C instruction both do.
        bits = sign | 0x7f800000 | (mant << 13) | (mant ? 0x00400000u : 0u);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;
    } else {
        // Subnormal half: normalise the mantissa into a float exponent.
        int e = 113;
        while (!(mant & 0x400)) { mant <<= 1; --e; }
        bits = sign | (uint32_t(e) << 23) | ((mant & 0x3ff) << 13);
    }
    return std::bit_cast<float>(bits);
}

inline uint16_t fp32ToFp16(float f) {
    const uint32_t x = std::bit_cast<uint32_t>(f);
    const uint16_t sign = uint16_t((x >> 16) & 0x8000);
    const uint32_t ax = x & 0x7fffffff;
    if (ax > 0x7f800000) return sign | 0x7e00;               // NaN
    if (ax >= 0x38800000) {                                  // normal half range or overflow
        uint32_t r = ax - 0x38000000;                        // re-bias 127 -> 15
        r = (r + 0xfff + ((r >> 13) & 1)) >> 13;             // round to nearest even
        return sign | uint16_t(r > 0x7c00 ? 0x7c00 : r);     // overflow and inf -> inf
    }
    const uint32_t e = ax >> 23;
    if (e < 102) return sign;                                // below half the smallest subnormal
    const uint32_t m = (ax & 0x7fffff) | 0x800000;
    const uint32_t shift = 126 - e;                          // 14..24
    uint32_t q = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1))) ++q;
    return sign | uint16_t(q);
}

inline float bf16ToFp32(uint16_t h) { return std::bit_cast<float>(uint32_t(h) << 16); }

inline uint16_t fp32ToBf16(float f) {
    const uint32_t x = std::bit_cast<uint32_t>(f);
    if ((x & 0x7fffffff) > 0x7f800000) return uint16_t((x >> 16) | 64);  // quiet NaN
    return uint16_t((x + (0x7fff + ((x >> 16) & 1))) >> 16);
}

} // namespace qb
