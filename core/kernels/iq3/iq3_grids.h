// The lookup tables of the IQ3_XXS and IQ3_S formats (ggml-common.h, b4748).
//
// Contract: every value is ggml's, in ggml's order; a grid index stored in a quantized block
// means the same point here as in ggml. Entries of kIq3xxsGrid hold four magnitudes (one per
// byte, lowest byte first) from {4, 12, 20, 28, 36, 44, 52, 62}; entries of kIq3sGrid hold
// four odd magnitudes 2l+1 (l = 0..7). The data and its self-checks live in iq3_grids.cpp.
#pragma once

#include <array>
#include <cstdint>

namespace qb::iq3 {

inline constexpr int kIq3xxsGridSize = 256;
inline constexpr int kIq3sGridSize = 512;

extern const uint32_t kIq3xxsGrid[kIq3xxsGridSize];
extern const uint32_t kIq3sGrid[kIq3sGridSize];


// ggml's ksigns_iq2xs[i]: the 7 stored sign bits of a group of 8 plus an eighth bit that makes
// the number of negative signs even (IQ3_XXS stores only 7 signs per group of 8).
constexpr uint8_t evenParitySigns(uint32_t sevenBits) {
    const uint32_t s = sevenBits & 127;
    uint32_t parity = 0;
    for (uint32_t b = s; b; b >>= 1)
        parity ^= b & 1;
    return uint8_t(s | (parity << 7));
}

// All 128 of them, for decoding.
inline constexpr std::array<uint8_t, 128> kEvenParitySigns = [] {
    std::array<uint8_t, 128> t{};
    for (uint32_t i = 0; i < 128; ++i)
        t[i] = evenParitySigns(i);
    return t;
}();

} // namespace qb::iq3
