// Search structures over the IQ3 codebooks (ggml iq3xs_init_impl), built once on first use.
//
// Contract: iq3GridIndex() is safe to call from any number of threads at once; the first call
// for a codebook builds it (a C++ function-local static), later calls return the same object.
// The content equals ggml's for grid sizes 256 (IQ3_XXS) and 512 (IQ3_S): points, the map from
// every 4-tuple of levels 0..7 to its grid index, and for tuples off the grid the list of nearest
// grid points (all points at the nwant smallest distances, nwant = 2 or 3), in ggml's order,
// which decides ties during quantization.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace qb::iq3 {

enum class Iq3Codebook { Xxs256, S512 };

struct Iq3GridIndex {
    int gridSize = 0;
    // Point i as four signed bytes 2l+1 (lowest byte = first coordinate), as ggml's the_grid.
    std::vector<uint32_t> points;
    // The same coordinates as floats (exact), so the neighbour search needs no conversions.
    std::vector<std::array<float, 4>> pointCoords;
    // The same point as its four levels 0..7 ((coordinate - 1) / 2), what the quantizer stores.
    std::vector<std::array<int8_t, 4>> pointLevels;
    // Indexed by l0 | l1 << 3 | l2 << 6 | l3 << 9: the grid index, or -(offset + 1) into neighbours.
    std::array<int32_t, 4096> map{};
    // Per off-grid tuple: a count n, then n grid indices sorted by (distance, index).
    std::vector<uint16_t> neighbours;
    // The same neighbours' coordinates for 4-wide SIMD, per tuple in chunks of 4 neighbours:
    // 16 floats = coordinate 0 of the 4, then coordinate 1, 2, 3 (padding lanes are 0).
    std::vector<float> neighbourCoords;
    // Where each off-grid tuple's chunks start in neighbourCoords (-1 for grid points).
    std::array<int32_t, 4096> coordOffset{};
    // The same in chunks of 8 neighbours for AVX2: 32 floats = coordinate 0 of the 8, then 1, 2, 3.
    std::vector<float> neighbourCoords8;
    std::array<int32_t, 4096> coordOffset8{};
    int maxNeighbours = 0;

    // The neighbour list for an off-grid map entry (first element is the count).
    const uint16_t *neighboursOf(int32_t mapEntry) const { return neighbours.data() + (-mapEntry - 1); }
};

const Iq3GridIndex &iq3GridIndex(Iq3Codebook codebook);

} // namespace qb::iq3
