// The lookup tables of the IQ3_XXS and IQ3_S formats (ggml-common.h, b4748).
//
// Contract: every value is ggml's, in ggml's order; a grid index stored in a quantized block
// means the same point here as in ggml. Entries of kIq3xxsGrid hold four magnitudes (one per
// byte, lowest byte first) from {4, 12, 20, 28, 36, 44, 52, 62}; entries of kIq3sGrid hold
// four odd magnitudes 2l+1 (l = 0..7). The data and its self-checks live in iq3_grids.cpp.
#pragma once

#include "kernels/even_parity_signs.h"

#include <array>
#include <cstdint>

namespace qb::iq3 {

inline constexpr int kIq3xxsGridSize = 256;
inline constexpr int kIq3sGridSize = 512;

extern const uint32_t kIq3xxsGrid[kIq3xxsGridSize];
extern const uint32_t kIq3sGrid[kIq3sGridSize];

// The sign table, qb::kEvenParitySigns, is shared with IQ2: kernels/even_parity_signs.h.

} // namespace qb::iq3
