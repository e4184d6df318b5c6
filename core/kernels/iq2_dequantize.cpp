// Decoders of the IQ2/IQ1 family, in ggml's operation order (dequantize_row_iq2_xxs & co.).
#include "float_convert.h"
#include "kernels/iq2_blocks.h"
#include "kernels/iq2_grids.h"

#include <array>
#include <cstring>

namespace qb::iq2 {
namespace {

template <typename Block>
Block loadBlock(const void *src, int64_t i) {
    Block b;
    std::memcpy(&b, static_cast<const uint8_t *>(src) + i * int64_t(sizeof(Block)), sizeof(Block));
    return b;
}

// Grid points and sign patterns as floats, built once on first use: decoding then is plain
// vectorisable multiplications, the same ones ggml performs (scale * level, then * +-1).
template <size_t N>
struct FloatGrid {
    explicit FloatGrid(const std::array<uint64_t, N> &words, bool isSigned) {
        for (size_t k = 0; k < N; ++k)
            for (int j = 0; j < 8; ++j) {
                const uint8_t byte = uint8_t(words[k] >> (8 * j));
                values[k][size_t(j)] = isSigned ? float(int8_t(byte)) : float(byte);
            }
    }
    std::array<std::array<float, 8>, N> values;
};

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

// Eight elements of a 1-bit grid point: scale * (level + delta).
inline void decodeShifted(float *y, float scale, const std::array<float, 8> &grid, float delta) {
    for (int j = 0; j < 8; ++j) y[j] = scale * (grid[size_t(j)] + delta);
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
                decodeSigned(y, db, grid.values[gridByte], signs.values[kSignsIq2xs[(aux[1] >> (7 * l)) & 127]]);
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
                decodeSigned(y, db[l / 2], grid.values[q & 511], signs.values[kSignsIq2xs[q >> 9]]);
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

} // namespace qb::iq2
