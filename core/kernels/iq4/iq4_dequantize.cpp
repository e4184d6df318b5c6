// Decoding of IQ4_NL and IQ4_XS, bit-identical to ggml-quants.c (b4748) dequantize_row_iq4_nl /
// dequantize_row_iq4_xs: each level times the (sub-)block scale, as ggml multiplies.
#include "kernels/iq4/iq4_blocks.h"

#include "float_convert.h"

namespace qb::iq4 {

void dequantizeIq4Nl(const void *src, float *y, int64_t n) {
    const auto *blocks = static_cast<const BlockIq4Nl *>(src);
    for (int64_t i = 0; i < n / kIq4nlBlock; ++i) {
        const float d = fp16ToFp32(blocks[i].d);
        const uint8_t *qs = blocks[i].qs;
        for (int j = 0; j < kIq4nlBlock / 2; ++j) {
            y[j] = d * float(kIq4nlValues[qs[j] & 0xf]);
            y[j + kIq4nlBlock / 2] = d * float(kIq4nlValues[qs[j] >> 4]);
        }
        y += kIq4nlBlock;
    }
}

void dequantizeIq4Xs(const void *src, float *y, int64_t n) {
    const auto *blocks = static_cast<const BlockIq4Xs *>(src);
    for (int64_t i = 0; i < n / kSuperBlock; ++i) {
        const BlockIq4Xs &b = blocks[i];
        const float d = fp16ToFp32(b.d);
        const uint8_t *qs = b.qs;
        for (int ib = 0; ib < kSuperBlock / 32; ++ib) {
            const int ls = ((b.scalesL[ib / 2] >> (4 * (ib % 2))) & 0xf) | (((b.scalesH >> (2 * ib)) & 3) << 4);
            const float dl = d * float(ls - 32);
            for (int j = 0; j < 16; ++j) {
                y[j] = dl * float(kIq4nlValues[qs[j] & 0xf]);
                y[j + 16] = dl * float(kIq4nlValues[qs[j] >> 4]);
            }
            y += 32;
            qs += 16;
        }
    }
}

} // namespace qb::iq4
