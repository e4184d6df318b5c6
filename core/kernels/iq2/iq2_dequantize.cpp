// Decoders of the IQ2 family (IQ2_XXS, IQ2_XS, IQ2_S) in ggml's operation order
// (dequantize_row_iq2_xxs & co.).
#include "float_convert.h"
#include "kernels/even_parity_signs.h"
#include "kernels/iq2/iq2_blocks.h"
#include "kernels/iq2/iq2_decode_grid.h"
#include "kernels/iq2/iq2_grids.h"

#include <array>
#include <cstring>

namespace qb::iq2 {
namespace {

struct SignTable {
    SignTable() {
        for (int s = 0; s < 256; ++s)
            for (int j = 0; j < 8; ++j) values[size_t(s)][size_t(j)] = (s >> j) & 1 ? -1.f : 1.f;
    }
    std::array<std::array<float, 8>, 256> values;
};

const SignTable &signTable() {
    static const SignTable table;
    return table;
}

// Eight elements of a 2-bit grid point times a scale, with signs from an 8-bit pattern.
inline void decodeSigned(float *y, float scale, const std::array<float, 8> &grid, const std::array<float, 8> &sign) {
    for (int j = 0; j < 8; ++j) y[j] = scale * grid[size_t(j)] * sign[size_t(j)];
}

} // namespace

void dequantizeIq2xxs(const void *src, float *y, int64_t n) {
    static const FloatGrid<256> grid(kIq2xxsGrid, false);
    const SignTable &signs = signTable();
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const auto b = loadBlock<BlockIq2xxs>(src, i);
        const float d = fp16ToFp32(b.d);
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            uint32_t aux[2];
            std::memcpy(aux, b.qs + 4 * ib, sizeof(aux));
            const float db = d * (0.5f + float(aux[1] >> 28)) * 0.25f;
            for (int l = 0; l < 4; ++l) {
                const uint8_t gridByte = uint8_t(aux[0] >> (8 * l));
                decodeSigned(y, db, grid.values[gridByte], signs.values[kEvenParitySigns[(aux[1] >> (7 * l)) & 127]]);
                y += 8;
            }
        }
    }
}

void dequantizeIq2xs(const void *src, float *y, int64_t n) {
    static const FloatGrid<512> grid(kIq2xsGrid, false);
    const SignTable &signs = signTable();
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const auto b = loadBlock<BlockIq2xs>(src, i);
        const float d = fp16ToFp32(b.d);
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const float db[2] = {d * (0.5f + float(b.scales[ib] & 0xf)) * 0.25f,
                                 d * (0.5f + float(b.scales[ib] >> 4)) * 0.25f};
            for (int l = 0; l < 4; ++l) {
                const uint16_t q = b.qs[4 * ib + l];
                decodeSigned(y, db[l / 2], grid.values[q & 511], signs.values[kEvenParitySigns[q >> 9]]);
                y += 8;
            }
        }
    }
}

void dequantizeIq2s(const void *src, float *y, int64_t n) {
    static const FloatGrid<1024> grid(kIq2sGrid, false);
    const SignTable &signTab = signTable();
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const auto b = loadBlock<BlockIq2s>(src, i);
        const float d = fp16ToFp32(b.d);
        const uint8_t *qs = b.qs;
        const uint8_t *signs = b.qs + QK_K / 8;
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const float db[2] = {d * (0.5f + float(b.scales[ib] & 0xf)) * 0.25f,
                                 d * (0.5f + float(b.scales[ib] >> 4)) * 0.25f};
            for (int l = 0; l < 4; ++l) {
                const int index = qs[l] | ((b.qh[ib] << (8 - 2 * l)) & 0x300);
                decodeSigned(y, db[l / 2], grid.values[size_t(index)], signTab.values[signs[l]]);
                y += 8;
            }
            qs += 4;
            signs += 4;
        }
    }
}

} // namespace qb::iq2
