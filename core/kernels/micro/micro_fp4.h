// Scalar helpers for the FP4 block types MXFP4 and NVFP4 (internal to the micro kernel family).
//
// Contract: bit-exact with ggml d99724f2 (ggml-impl.h / ggml-common.h): the E2M1 value table
// (stored doubled, so it is integral), the E8M0 block exponent decoded at half its value, and
// the unsigned E4M3 sub-block scale, also decoded at half, to match the doubled table.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace qb::micro {

// E2M1 values times two: 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives.
inline constexpr int8_t kFp4Values[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

// 2^(e - 127) / 2, i.e. 2^(e - 128); e 0 and 1 give float subnormals.
inline float e8m0ToFp32Half(uint8_t e) {
    const uint32_t bits = e < 2 ? uint32_t(0x00200000) << e : uint32_t(e - 1) << 23;
    return std::bit_cast<float>(bits);
}

// Unsigned E4M3 (bias 7, 3 mantissa bits) decoded at half its value; 0 and 0x7F decode to 0.
inline float ue4m3ToFp32Half(uint8_t x) {
    if (x == 0 || x == 0x7F) return 0.0f;
    const int exp = (x >> 3) & 0xF;
    const int man = x & 0x7;
    // Both forms are exact in float, so ldexp's rounding never comes into play.
    const float raw = exp == 0 ? std::ldexp(float(man), -9) : std::ldexp(1.0f + float(man) / 8.0f, exp - 7);
    return raw * 0.5f;
}

// Encodes a positive scale as unsigned E4M3. Rounds half up on the first dropped mantissa bit
// (not to even), saturates at 0x7E, and maps anything not > 0 (including NaN) to 0, like ggml.
inline uint8_t fp32ToUe4m3(float x) {
    if (!(x > 0.0f)) return 0;
    if (x > 448.0f) x = 448.0f;
    const uint32_t bits = std::bit_cast<uint32_t>(x);
    int exp = int((bits >> 23) & 0xFF) - 127 + 7;
    if (exp <= 0) {
        // Subnormal E4M3: mantissa counts units of 2^-9, rounded half up in float arithmetic.
        int man = int(x * 512.0f + 0.5f);
        if (man > 7) man = 7;
        return man < 1 ? 0 : uint8_t(man);
    }
    if (exp >= 15) return 0x7E;
    int man = int((bits >> 20) & 0x7) + int((bits >> 19) & 1);
    if (man > 7) {
        man = 0;
        if (++exp >= 15) return 0x7E;
    }
    return uint8_t((exp << 3) | man);
}

// Index of the table value v * scale nearest to x; the first index wins ties (so +0 beats -0).
inline uint8_t nearestFp4(float x, float scale) {
    int best = 0;
    float bestErr = std::fabs(float(kFp4Values[0]) * scale - x);
    for (int i = 1; i < 16; ++i) {
        const float err = std::fabs(float(kFp4Values[i]) * scale - x);
        if (err < bestErr) {
            best = i;
            bestErr = err;
        }
    }
    return uint8_t(best);
}

} // namespace qb::micro
