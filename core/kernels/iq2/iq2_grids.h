// The codebooks of the IQ2_XXS, IQ2_XS and IQ2_S types, and the 2048-point one of IQ1_S and
// IQ1_M (ggml builds all four in iq2xs_init_impl; the IQ1 family in ../iq1 reads it from here).
//
// Contract: the point lists are ggml's kgrid_2bit_256, kgrid_2bit_512, kgrid_2bit_1024 and
// kgrid_1bit_2048 (iq2xs_init_impl), value for value and in the same order, because a block
// stores the position of a point in its list. Each point packs eight levels l in 0..2, element i
// in bits 2i..2i+1. The decode grids are ggml's iq2xxs_grid, iq2xs_grid, iq2s_grid (bytes 8, 25,
// 43 for l = 0, 1, 2) and iq1s_grid (int8 -1, 0, +1), derived from the same points at compile
// time so the two can never disagree.
#pragma once

#include <array>
#include <cstdint>

namespace qb::iq2 {

// The four codebooks; IQ1_S and IQ1_M share the 2048-point one.
enum class Codebook { Points256, Points512, Points1024, Points2048 };

struct CodebookPoints {
    const uint16_t *points;  // packed 2-bit levels, ascending
    int size;
};

CodebookPoints codebookPoints(Codebook book);

// Decode grids: one 64-bit word per point, byte i = element i (little-endian order, as ggml).
extern const std::array<uint64_t, 256> kIq2xxsGrid;
extern const std::array<uint64_t, 512> kIq2xsGrid;
extern const std::array<uint64_t, 1024> kIq2sGrid;
extern const std::array<uint64_t, 2048> kIq1sGrid;

// Sign patterns (7 stored bits plus an implied eighth that makes the count of minus signs even):
// qb::kEvenParitySigns in kernels/even_parity_signs.h, shared with IQ3.

} // namespace qb::iq2
