// Decoding helpers shared by the IQ2 and IQ1 decoders (internal to core/kernels): blocks read
// with memcpy (so sources need no alignment) and grid words turned into floats once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace qb::iq2 {

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

} // namespace qb::iq2
