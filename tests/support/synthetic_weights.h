// Deterministic synthetic weights shared by the analysis tests and benchmarks: roughly Gaussian
// values (a sum of four uniforms) with a per-row scale drawn log-uniformly over 4x, and 1 in 512
// values multiplied by 8, the heavy tails of real weights. The spread of row scales is what makes
// a sample of a few whole rows a poor estimate of a tensor's error.
#pragma once

#include "float_convert.h"

#include <cmath>
#include <cstdint>

namespace qbtest {

// splitmix64: a cheap, well-mixed generator with independent streams per seed.
inline uint64_t mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// One row of n F16 values; the seed picks the row (e.g. tensor << 32 | row).
inline void fillRow(uint16_t *out, int64_t n, uint64_t seed) {
    uint64_t s = mix64(seed);
    const double rowScale = 0.01 * std::exp2(2.0 * double(s >> 11) * 0x1.0p-53);
    for (int64_t i = 0; i < n; ++i) {
        s = mix64(s);
        const double g = (double(s & 0xffff) + double((s >> 16) & 0xffff) + double((s >> 32) & 0xffff) +
                          double((s >> 48) & 0xffff)) / 65536.0 - 2.0;
        const double outlier = (s & 0x1ff0000) == 0 ? 8.0 : 1.0;
        out[i] = qb::fp32ToFp16(float(g * 1.7 * rowScale * outlier));
    }
}

} // namespace qbtest
