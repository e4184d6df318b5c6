// Decoders of the IQ1 family (IQ1_S, IQ1_M) in ggml's operation order (dequantize_row_iq1_s,
// dequantize_row_iq1_m).
#include "float_convert.h"
#include "kernels/iq1/iq1_blocks.h"
#include "kernels/iq2/iq2_decode_grid.h"
#include "kernels/iq2/iq2_grids.h"

#include <array>
#include <cstring>

namespace qb::iq1 {
namespace {

using iq2::FloatGrid;
using iq2::kIq1sGrid;
using iq2::loadBlock;

// Eight elements of a 1-bit grid point: scale * (level + delta).
inline void decodeShifted(float *y, float scale, const std::array<float, 8> &grid, float delta) {
    for (int j = 0; j < 8; ++j) y[j] = scale * (grid[size_t(j)] + delta);
}

} // namespace

void dequantizeIq1s(const void *src, float *y, int64_t n) {
    static const FloatGrid<2048> grid(kIq1sGrid, true);
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const auto b = loadBlock<BlockIq1s>(src, i);
        const float d = fp16ToFp32(b.d);
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const uint16_t qh = b.qh[ib];
            const float dl = d * float(2 * ((qh >> 12) & 7) + 1);
            const float delta = qh & 0x8000 ? -kIq1sDelta : kIq1sDelta;
            for (int l = 0; l < 4; ++l) {
                const int index = b.qs[4 * ib + l] | (((qh >> (3 * l)) & 7) << 8);
                decodeShifted(y, dl, grid.values[size_t(index)], delta);
                y += 8;
            }
        }
    }
}

void dequantizeIq1m(const void *src, float *y, int64_t n) {
    static const FloatGrid<2048> grid(kIq1sGrid, true);
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const auto b = loadBlock<BlockIq1m>(src, i);
        uint16_t sc[4];
        std::memcpy(sc, b.scales, sizeof(sc));
        const uint16_t dBits = uint16_t((sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) | ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000));
        const float d = fp16ToFp32(dBits);
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const float dl1 = d * float(2 * ((sc[ib / 2] >> (6 * (ib % 2) + 0)) & 0x7) + 1);
            const float dl2 = d * float(2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 0x7) + 1);
            const uint8_t *qs = b.qs + 4 * ib;
            const uint8_t *qh = b.qh + 2 * ib;
            const int index[4] = {qs[0] | ((qh[0] << 8) & 0x700), qs[1] | ((qh[0] << 4) & 0x700),
                                  qs[2] | ((qh[1] << 8) & 0x700), qs[3] | ((qh[1] << 4) & 0x700)};
            const float delta[4] = {qh[0] & 0x08 ? -kIq1sDelta : kIq1sDelta, qh[0] & 0x80 ? -kIq1sDelta : kIq1sDelta,
                                    qh[1] & 0x08 ? -kIq1sDelta : kIq1sDelta, qh[1] & 0x80 ? -kIq1sDelta : kIq1sDelta};
            for (int l = 0; l < 4; ++l) {
                decodeShifted(y, l < 2 ? dl1 : dl2, grid.values[size_t(index[l])], delta[l]);
                y += 8;
            }
        }
    }
}

} // namespace qb::iq1
