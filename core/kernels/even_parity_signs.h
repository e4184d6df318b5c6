// ggml's ksigns_iq2xs, shared by the IQ2 and IQ3 families: the 7 stored sign bits of a group of
// 8 weights plus an eighth bit that makes the number of negative signs even (the formats store
// only 7 signs per group of 8). One table for both families, built at compile time.
#pragma once

#include <array>
#include <cstdint>

namespace qb {

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

// Spot checks against ggml-common.h's ksigns_iq2xs.
static_assert(kEvenParitySigns[0] == 0 && kEvenParitySigns[1] == 129 && kEvenParitySigns[3] == 3 &&
              kEvenParitySigns[4] == 132 && kEvenParitySigns[126] == 126 && kEvenParitySigns[127] == 255);

} // namespace qb
