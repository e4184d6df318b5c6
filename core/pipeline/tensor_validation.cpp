#include "pipeline/tensor_validation.h"

#include <algorithm>
#include <cstring>

namespace qb {
namespace {

// All exponent bits set means infinity or NaN in every IEEE-style format; the scan works in
// blocks with a branch-free OR so that the compiler vectorises it, and looks closer only on a hit.
template <typename Word>
std::optional<uint64_t> firstWithExponent(std::span<const uint8_t> data, Word exponent) {
    const uint64_t n = data.size() / sizeof(Word);
    constexpr uint64_t kBlock = 1024;
    Word block[kBlock];
    for (uint64_t start = 0; start < n; start += kBlock) {
        const uint64_t count = std::min(kBlock, n - start);
        std::memcpy(block, data.data() + start * sizeof(Word), count * sizeof(Word));
        Word any = 0;
        for (uint64_t i = 0; i < count; ++i)
            any |= Word((block[i] & exponent) == exponent);
        if (!any) continue;
        for (uint64_t i = 0; i < count; ++i)
            if ((block[i] & exponent) == exponent) return start + i;
    }
    return std::nullopt;
}

} // namespace

bool isValidatedType(GgmlType type) {
    return type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16;
}

std::optional<uint64_t> firstNonFinite(GgmlType type, std::span<const uint8_t> data) {
    switch (type) {
    case GgmlType::F32: return firstWithExponent<uint32_t>(data, 0x7f800000u);
    case GgmlType::F16: return firstWithExponent<uint16_t>(data, 0x7c00u);
    case GgmlType::BF16: return firstWithExponent<uint16_t>(data, 0x7f80u);
    default: return std::nullopt;
    }
}

} // namespace qb
