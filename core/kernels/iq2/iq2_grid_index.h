// Lookup structures the IQ2/IQ1 quantizers search: ggml's kgrid_q2xs, kmap_q2xs and
// kneighbors_q2xs (iq2xs_init_impl), one per codebook.
//
// Contract: gridIndex() builds a codebook's index on first use, once, safely when many threads
// ask at the same moment, and returns the same immutable object for the life of the process.
// A key packs eight levels (0..2, element i in bits 2i..2i+1). For a key on the grid,
// pointIndex() is its position; otherwise neighboursOf() lists the grid positions at the
// `nearest` smallest distinct squared distances, ordered by (distance, position): exactly the
// list ggml's sorted search produces, so ties resolve identically.
#pragma once

#include "kernels/iq2/iq2_grids.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace qb::iq2 {

class GridIndex {
public:
    // Every key ggml's map covers: eight 2-bit fields, the largest being 0xAAAA (all levels 2).
    static constexpr int kKeyCount = 43692;

    GridIndex(Codebook book, int nearest);

    int size() const { return int(m_points.size()); }
    // Element values 2l + 1 (1, 3 or 5) of a grid point, as ggml's kgrid_q2xs bytes.
    const int8_t *point(int index) const { return m_points[size_t(index)].data(); }
    // The packed levels (key) of a grid point.
    uint16_t key(int index) const { return m_keys[index]; }
    // Grid position of the key, or -1 when the key is not a grid point.
    int pointIndex(uint16_t key) const { return m_map[key] >= 0 ? m_map[key] : -1; }
    // For an off-grid key: element 0 is the count n, elements 1..n the candidate positions.
    const uint16_t *neighboursOf(uint16_t key) const { return m_neighbours.data() + (-m_map[key] - 1); }
    // The keys of the same list's candidates, at the same positions (element 0 unused), as
    // 32-bit lanes for the vector search; readable up to 8 elements past any list's end.
    const int32_t *neighbourKeysOf(uint16_t key) const { return m_neighbourKeys.data() + (-m_map[key] - 1); }

private:
    const uint16_t *m_keys;
    std::vector<std::array<int8_t, 8>> m_points;
    std::vector<int32_t> m_map;          // >= 0: position; < 0: -(offset + 1) into m_neighbours
    std::vector<uint16_t> m_neighbours;  // per off-grid key: count, then positions
    std::vector<int32_t> m_neighbourKeys; // m_keys of m_neighbours' positions (counts: 0), padded by 8
};

// IQ2_XXS: Points256, IQ2_XS: Points512, IQ2_S: Points1024, IQ1_S and IQ1_M: Points2048.
const GridIndex &gridIndex(Codebook book);

} // namespace qb::iq2
