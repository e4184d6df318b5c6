// Decoding of IQ3_XXS and IQ3_S, bit-identical to ggml-quants.c (b4748)
// dequantize_row_*: the same float products in the same order (scale first, then the level,
// then the sign), so the decoded floats equal ggml's exactly.
#include "kernels/iq3/iq3_blocks.h"

#include "float_convert.h"
#include "kernels/iq3/iq3_grids.h"

#include <cstring>

namespace qb::iq3 {
namespace {

inline uint8_t magnitude(uint32_t packed, int j) { return uint8_t(packed >> (8 * j)); }
// A multiply by exactly +-1 as ggml does (not a sign-bit flip, which would differ for NaN), looked up
// rather than branched on: signs are random, so a branch would mispredict half the time.
constexpr float kSignFactor[2] = {1.f, -1.f};
inline float signOf(uint8_t signs, int j) { return kSignFactor[(signs >> j) & 1]; }

} // namespace

void dequantizeIq3Xxs(const void *src, float *y, int64_t n) {
    const auto *blocks = static_cast<const BlockIq3Xxs *>(src);
    for (int64_t i = 0; i < n / kSuperBlock; ++i) {
        const float d = fp16ToFp32(blocks[i].d);
        const uint8_t *qs = blocks[i].qs;
        const uint8_t *signsAndScales = blocks[i].qs + kSuperBlock / 4;
        for (int ib = 0; ib < kSuperBlock / 32; ++ib) {
            uint32_t aux;
            std::memcpy(&aux, signsAndScales + 4 * ib, 4);
            const float db = d * (0.5f + float(aux >> 28)) * 0.5f;
            for (int l = 0; l < 4; ++l) {
                const uint8_t signs = kEvenParitySigns[(aux >> (7 * l)) & 127];
                const uint32_t grid1 = kIq3xxsGrid[qs[2 * l]];
                const uint32_t grid2 = kIq3xxsGrid[qs[2 * l + 1]];
                for (int j = 0; j < 4; ++j) {
                    y[j] = db * float(magnitude(grid1, j)) * signOf(signs, j);
                    y[j + 4] = db * float(magnitude(grid2, j)) * signOf(signs, j + 4);
                }
                y += 8;
            }
            qs += 8;
        }
    }
}

void dequantizeIq3S(const void *src, float *y, int64_t n) {
    const auto *blocks = static_cast<const BlockIq3S *>(src);
    for (int64_t i = 0; i < n / kSuperBlock; ++i) {
        const BlockIq3S &b = blocks[i];
        const float d = fp16ToFp32(b.d);
        const uint8_t *qs = b.qs;
        const uint8_t *signs = b.signs;
        for (int ib = 0; ib < kSuperBlock / 32; ++ib) {
            // Groups come in pairs sharing a scale byte: low nibble first.
            const int nibble = ib % 2 ? b.scales[ib / 2] >> 4 : b.scales[ib / 2] & 0xf;
            const float db = d * float(1 + 2 * nibble);
            const uint8_t high = b.qh[ib];
            for (int l = 0; l < 4; ++l) {
                const uint32_t grid1 = kIq3sGrid[qs[2 * l] | ((high << (8 - 2 * l)) & 256)];
                const uint32_t grid2 = kIq3sGrid[qs[2 * l + 1] | ((high << (7 - 2 * l)) & 256)];
                for (int j = 0; j < 4; ++j) {
                    y[j] = db * float(magnitude(grid1, j)) * signOf(signs[l], j);
                    y[j + 4] = db * float(magnitude(grid2, j)) * signOf(signs[l], j + 4);
                }
                y += 8;
            }
            qs += 8;
            signs += 4;
        }
    }
}

} // namespace qb::iq3
