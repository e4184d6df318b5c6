// Search steps shared by the IQ1_S and IQ1_M quantizers (internal to core/kernels): the
// value ordering and ggml's iq1_find_best_neighbour2, in ggml's float operation order.
#pragma once

#include "kernels/iq2/iq2_search.h"

namespace qb::iq1::detail {

using iq2::GridIndex;

// Positions of x[0..n) in ascending order of value. ggml sorts (value, position) pairs with
// qsort and a value-only comparison; glibc's qsort is a stable merge sort for such small
// arrays, so equal values keep their original order. Any stable sort gives that same order;
// insertion sort is the fastest for 16 or 32 elements.
template <int N>
void sortedOrder(const float *x, int *order) {
    float value[N];
    for (int j = 0; j < N; ++j) {
        const float v = x[j];
        int k = j;
        for (; k > 0 && v < value[k - 1]; --k) {
            value[k] = value[k - 1];
            order[k] = order[k - 1];
        }
        value[k] = v;
        order[k] = j;
    }
}

// ggml's iq1_find_best_neighbour2: the candidate with the smallest weighted squared error
// when its levels are mapped through xg and scaled. Writes the levels to L. The Fast form
// tabulates the per element and level terms ggml adds and sums them in the same order.
template <bool Fast>
int bestNeighbourIq1(const GridIndex &grid, uint16_t key, const float *xval, const float *weight, float scale,
                     const float *xg, int8_t *L) {
    const uint16_t *list = grid.neighboursOf(key);
    const int count = list[0];
    if (count <= 0) throw Error("IQ1 quantizer: level pattern has no grid neighbours");
    float bestScore = FLT_MAX;
    int best = -1;
    if constexpr (Fast) {
        float term[8][4];
        for (int i = 0; i < 8; ++i) {
            for (int l = 0; l < 3; ++l) {
                const float w = weight[i];
                const float diff = scale * xg[l] - xval[i];
                term[i][l] = w * diff * diff;
            }
        }
        for (int j = 1; j <= count; ++j) {
            const unsigned k = grid.key(list[j]);
            float d2 = 0;
            for (int i = 0; i < 8; ++i) d2 += term[i][(k >> (2 * i)) & 3];
            if (d2 < bestScore) {
                bestScore = d2;
                best = list[j];
            }
        }
    } else {
        for (int j = 1; j <= count; ++j) {
            const int8_t *pg = grid.point(list[j]);
            float d2 = 0;
            for (int i = 0; i < 8; ++i) {
                const float q = xg[(pg[i] - 1) / 2];
                const float w = weight[i];
                const float diff = scale * q - xval[i];
                d2 += w * diff * diff;
            }
            if (d2 < bestScore) {
                bestScore = d2;
                best = list[j];
            }
        }
    }
    // ggml falls back to a scan of the whole grid here (reading past its inputs); that only
    // happens for non-finite data, which is refused instead.
    if (best < 0) throw Error("IQ1 quantizer: no finite grid neighbour (non-finite input?)");
    const int8_t *pg = grid.point(best);
    for (int i = 0; i < 8; ++i) L[i] = int8_t((pg[i] - 1) / 2);
    return best;
}

} // namespace qb::iq1::detail
