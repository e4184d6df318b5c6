#include "kernels/iq2/iq2_grid_index.h"

#include <algorithm>

namespace qb::iq2 {
namespace {

// Squared distances between elements 1, 3, 5 (and 7 for keys with a level 3) stay below this.
constexpr int kMaxDistance = 8 * 36;

bool hasLevelThree(int key) {
    for (int e = 0; e < 8; ++e)
        if (((key >> (2 * e)) & 3) == 3) return true;
    return false;
}

} // namespace

GridIndex::GridIndex(Codebook book, int nearest) : m_keys(codebookPoints(book).points) {
    const CodebookPoints list = codebookPoints(book);
    m_points.resize(size_t(list.size));
    m_map.assign(kKeyCount, -1);
    for (int k = 0; k < list.size; ++k) {
        for (int e = 0; e < 8; ++e) m_points[size_t(k)][size_t(e)] = int8_t(2 * ((list.points[k] >> (2 * e)) & 3) + 1);
        m_map[list.points[k]] = k;
    }

    // The quantizers clamp levels to 0..2, so keys holding a level 3 are never looked up; ggml
    // still lists neighbours for them. They share one empty list here, which the searches reject.
    m_neighbours.push_back(0);
    const int32_t unreachable = -1;

    std::vector<int> distance(size_t(list.size));
    std::array<int, kMaxDistance + 1> histogram{};
    for (int key = 0; key < kKeyCount; ++key) {
        if (m_map[size_t(key)] >= 0) continue;
        if (hasLevelThree(key)) {
            m_map[size_t(key)] = unreachable;
            continue;
        }
        int8_t pos[8];
        for (int e = 0; e < 8; ++e) pos[e] = int8_t(2 * ((key >> (2 * e)) & 3) + 1);
        histogram.fill(0);
        for (int j = 0; j < list.size; ++j) {
            const int8_t *pg = m_points[size_t(j)].data();
            int d2 = 0;
            for (int e = 0; e < 8; ++e) d2 += (pg[e] - pos[e]) * (pg[e] - pos[e]);
            distance[size_t(j)] = d2;
            ++histogram[size_t(d2)];
        }
        // Sorting by (distance, position) and keeping the first `nearest` distinct distances
        // equals walking the distances upwards and, within one, the positions in order.
        const size_t start = m_neighbours.size();
        m_map[size_t(key)] = -int32_t(start) - 1;
        m_neighbours.push_back(0);
        int taken = 0;
        for (int d = 0; d <= kMaxDistance && taken < nearest; ++d) {
            if (!histogram[size_t(d)]) continue;
            ++taken;
            for (int j = 0; j < list.size; ++j)
                if (distance[size_t(j)] == d) m_neighbours.push_back(uint16_t(j));
        }
        m_neighbours[start] = uint16_t(m_neighbours.size() - start - 1);
    }
    m_neighbourKeys.assign(m_neighbours.size() + 8, 0);
    for (int key = 0; key < kKeyCount; ++key) {
        if (m_map[size_t(key)] >= 0) continue;
        const size_t start = size_t(-m_map[size_t(key)] - 1);
        for (size_t n = 1; n <= m_neighbours[start]; ++n)
            m_neighbourKeys[start + n] = m_keys[m_neighbours[start + n]];
    }
}

const GridIndex &gridIndex(Codebook book) {
    // Function-local statics: built on first use, and C++ guarantees one construction even
    // when several threads arrive together.
    switch (book) {
    case Codebook::Points256: {
        static const GridIndex index(Codebook::Points256, 2);
        return index;
    }
    case Codebook::Points512: {
        static const GridIndex index(Codebook::Points512, 2);
        return index;
    }
    case Codebook::Points1024: {
        static const GridIndex index(Codebook::Points1024, 1);
        return index;
    }
    case Codebook::Points2048:
        break;
    }
    static const GridIndex index(Codebook::Points2048, 3);
    return index;
}

} // namespace qb::iq2
