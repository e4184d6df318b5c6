// Builds the IQ3 search structures exactly as ggml's iq3xs_init_impl does: the same grid points,
// the same map, and neighbour lists in the same order (sorted by squared distance, then index),
// because quantization keeps the first of equally good neighbours.
#include "kernels/iq3/iq3_grid_index.h"

#include "kernels/iq3/iq3_grids.h"

#include <algorithm>
#include <climits>
#include <utility>

namespace qb::iq3 {
namespace {

constexpr int kMapSize = 4096;

// IQ3_XXS stores magnitudes 4, 12, ..., 52, 62 for dequantization; its quantizer works on the
// levels 0..7 behind them. Recover the level of one magnitude byte.
uint32_t xxsLevel(uint32_t magnitude) { return magnitude == 62 ? 7 : (magnitude - 4) / 8; }

std::vector<uint32_t> gridPoints(Iq3Codebook codebook) {
    std::vector<uint32_t> points;
    if (codebook == Iq3Codebook::S512) {
        // IQ3_S's dequantization grid already holds 2l+1.
        points.assign(kIq3sGrid, kIq3sGrid + kIq3sGridSize);
        return points;
    }
    points.reserve(kIq3xxsGridSize);
    for (uint32_t packed : kIq3xxsGrid) {
        uint32_t p = 0;
        for (int k = 0; k < 4; ++k)
            p |= (2 * xxsLevel((packed >> (8 * k)) & 0xff) + 1) << (8 * k);
        points.push_back(p);
    }
    return points;
}

int coordinate(uint32_t point, int k) { return int((point >> (8 * k)) & 0xff); }

// The map key of a grid point: its four levels, 3 bits each.
int keyOf(uint32_t point) {
    int key = 0;
    for (int k = 0; k < 4; ++k)
        key |= ((coordinate(point, k) - 1) / 2) << (3 * k);
    return key;
}

Iq3GridIndex build(Iq3Codebook codebook) {
    Iq3GridIndex index;
    index.points = gridPoints(codebook);
    index.gridSize = int(index.points.size());
    for (uint32_t p : index.points)
        index.pointCoords.push_back(
            {float(coordinate(p, 0)), float(coordinate(p, 1)), float(coordinate(p, 2)), float(coordinate(p, 3))});
    for (uint32_t p : index.points)
        index.pointLevels.push_back({int8_t((coordinate(p, 0) - 1) / 2), int8_t((coordinate(p, 1) - 1) / 2),
                                     int8_t((coordinate(p, 2) - 1) / 2), int8_t((coordinate(p, 3) - 1) / 2)});
    // ggml keeps every point within the nwant smallest distinct distances.
    const int nwant = codebook == Iq3Codebook::Xxs256 ? 2 : 3;

    index.map.fill(-1);
    index.coordOffset.fill(-1);
    index.coordOffset8.fill(-1);
    for (int i = 0; i < index.gridSize; ++i)
        index.map[size_t(keyOf(index.points[size_t(i)]))] = i;

    std::vector<std::pair<int, int>> byDistance(size_t(index.gridSize)); // (squared distance, grid index)
    std::vector<std::pair<int, int>> kept;                                // the nearest of them
    for (int key = 0; key < kMapSize; ++key) {
        if (index.map[size_t(key)] >= 0) continue;
        for (int j = 0; j < index.gridSize; ++j) {
            int d2 = 0;
            for (int k = 0; k < 4; ++k) {
                const int diff = coordinate(index.points[size_t(j)], k) - (2 * ((key >> (3 * k)) & 7) + 1);
                d2 += diff * diff;
            }
            byDistance[size_t(j)] = {d2, j};
        }
        // The nwant smallest distinct distances; every point within the largest of them is kept.
        // Only those few are sorted (by distance, then index: ggml's qsort comparator, a total
        // order, so the result is its sorted prefix); sorting all 512 per tuple took 2-3 % of a
        // whole-model IQ3_S run.
        int smallest[3] = {INT_MAX, INT_MAX, INT_MAX};
        for (const auto &entry : byDistance) {
            const int d2 = entry.first;
            for (int n = 0; n < nwant; ++n) {
                if (d2 == smallest[n]) break;
                if (d2 < smallest[n]) {
                    for (int m = nwant - 1; m > n; --m)
                        smallest[m] = smallest[m - 1];
                    smallest[n] = d2;
                    break;
                }
            }
        }
        int limit = smallest[0];
        for (int n = 1; n < nwant; ++n)
            if (smallest[n] != INT_MAX) limit = smallest[n];
        kept.clear();
        for (const auto &entry : byDistance)
            if (entry.first <= limit) kept.push_back(entry);
        std::sort(kept.begin(), kept.end());

        index.map[size_t(key)] = -int32_t(index.neighbours.size() + 1);
        const size_t countAt = index.neighbours.size();
        index.neighbours.push_back(0);
        uint16_t count = 0;
        for (const auto &entry : kept) {
            index.neighbours.push_back(uint16_t(entry.second));
            ++count;
        }
        index.neighbours[countAt] = count;
        index.maxNeighbours = std::max<int>(index.maxNeighbours, count);

        index.coordOffset[size_t(key)] = int32_t(index.neighbourCoords.size());
        const int chunks = (count + 3) / 4;
        index.neighbourCoords.resize(index.neighbourCoords.size() + size_t(16 * chunks), 0.f);
        float *soa = index.neighbourCoords.data() + index.coordOffset[size_t(key)];
        for (int n = 0; n < count; ++n) {
            const auto &coords = index.pointCoords[index.neighbours[countAt + 1 + size_t(n)]];
            for (int k = 0; k < 4; ++k)
                soa[16 * (n / 4) + 4 * k + n % 4] = coords[size_t(k)];
        }
        index.coordOffset8[size_t(key)] = int32_t(index.neighbourCoords8.size());
        index.neighbourCoords8.resize(index.neighbourCoords8.size() + size_t(32 * ((count + 7) / 8)), 0.f);
        float *soa8 = index.neighbourCoords8.data() + index.coordOffset8[size_t(key)];
        for (int n = 0; n < count; ++n) {
            const auto &coords = index.pointCoords[index.neighbours[countAt + 1 + size_t(n)]];
            for (int k = 0; k < 4; ++k)
                soa8[32 * (n / 8) + 8 * k + n % 8] = coords[size_t(k)];
        }
    }
    return index;
}

} // namespace

const Iq3GridIndex &iq3GridIndex(Iq3Codebook codebook) {
    // Function-local statics are initialised exactly once even under concurrent first calls.
    if (codebook == Iq3Codebook::Xxs256) {
        static const Iq3GridIndex xxs = build(Iq3Codebook::Xxs256);
        return xxs;
    }
    static const Iq3GridIndex s = build(Iq3Codebook::S512);
    return s;
}

} // namespace qb::iq3
