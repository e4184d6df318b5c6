#include "kernels/block_scale_validation.h"

#include <cstring>
#include <vector>

namespace qb {
namespace {

enum class ScaleKind { F16, F32, Iq1m, E8M0 };

struct ScaleField {
    size_t offset;       // within the block
    ScaleKind kind;
    const char *name;
};

// Where ggml's block structs (ggml-common.h) keep the fields ggml_validate_row_data reads.
std::vector<ScaleField> scaleFields(GgmlType type) {
    using K = ScaleKind;
    switch (type) {
    case GgmlType::Q4_0: case GgmlType::Q5_0: case GgmlType::Q8_0: case GgmlType::Q1_0: case GgmlType::Q2_0:
    case GgmlType::IQ1_S: case GgmlType::IQ2_XXS: case GgmlType::IQ2_XS: case GgmlType::IQ2_S:
    case GgmlType::IQ3_XXS: case GgmlType::IQ3_S: case GgmlType::IQ4_XS: case GgmlType::IQ4_NL:
        return {{0, K::F16, "d"}};
    case GgmlType::Q4_1: case GgmlType::Q5_1: return {{0, K::F16, "d"}, {2, K::F16, "m"}};
    case GgmlType::Q4_K: case GgmlType::Q5_K: return {{0, K::F16, "d"}, {2, K::F16, "dmin"}};
    case GgmlType::Q2_K: return {{80, K::F16, "d"}, {82, K::F16, "dmin"}};   // after scales[16], qs[64]
    case GgmlType::Q3_K: return {{108, K::F16, "d"}};                        // after hmask, qs, scales
    case GgmlType::Q6_K: return {{208, K::F16, "d"}};                        // after ql, qh, scales
    case GgmlType::TQ1_0: return {{52, K::F16, "d"}};                        // after qs[48], qh[4]
    case GgmlType::TQ2_0: return {{64, K::F16, "d"}};                        // after qs[64]
    case GgmlType::Q8_K: return {{0, K::F32, "d"}};
    case GgmlType::IQ1_M: return {{48, K::Iq1m, "scale"}};                   // scales[8] after qs, qh
    case GgmlType::MXFP4: return {{0, K::E8M0, "e"}};
    default: return {};
    }
}

uint16_t load16(const uint8_t *p) {
    uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

std::optional<std::string> badF16(uint16_t h) {
    if ((h & 0x7c00u) != 0x7c00u) return std::nullopt;
    if (h & 0x03ffu) return "NaN";
    return (h & 0x8000u) ? "-inf" : "inf";
}

std::optional<std::string> badValue(const uint8_t *field, ScaleKind kind) {
    switch (kind) {
    case ScaleKind::F16: return badF16(load16(field));
    case ScaleKind::F32: {
        uint32_t bits;
        std::memcpy(&bits, field, sizeof bits);
        if ((bits & 0x7f800000u) != 0x7f800000u) return std::nullopt;
        if (bits & 0x007fffffu) return "NaN";
        return (bits & 0x80000000u) ? "-inf" : "inf";
    }
    case ScaleKind::Iq1m: {
        // The F16 block scale is spread over the top 4 bits of the four 16-bit scale words.
        const uint16_t s0 = load16(field), s1 = load16(field + 2), s2 = load16(field + 4), s3 = load16(field + 6);
        return badF16(uint16_t((s0 >> 12) | ((s1 >> 8) & 0x00f0u) | ((s2 >> 4) & 0x0f00u) | (s3 & 0xf000u)));
    }
    case ScaleKind::E8M0:
        if (*field == 0xff) return "0xff (NaN)";
        return std::nullopt;
    }
    return std::nullopt;
}

} // namespace

bool hasBlockScales(GgmlType type) { return !scaleFields(type).empty(); }

std::optional<InvalidBlockScale> firstInvalidBlockScale(GgmlType type, std::span<const uint8_t> data) {
    const std::vector<ScaleField> fields = scaleFields(type);
    if (fields.empty()) return std::nullopt;
    const size_t blockBytes = size_t(typeTraits(type).typeSize);
    const uint64_t blocks = data.size() / blockBytes;
    for (uint64_t b = 0; b < blocks; ++b) {
        const uint8_t *block = data.data() + b * blockBytes;
        for (const ScaleField &f : fields)
            if (auto bad = badValue(block + f.offset, f.kind)) return InvalidBlockScale{b, f.name, *bad};
    }
    return std::nullopt;
}

std::string describeInvalidBlockScale(const std::string &tensor, GgmlType type, const InvalidBlockScale &bad) {
    return "tensor '" + tensor + "' has invalid data: " + typeName(type) + " block " + std::to_string(bad.block) +
           " has scale " + bad.field + " = " + bad.value +
           " (every weight of that block would decode to NaN or infinity; llama.cpp refuses it too)";
}

} // namespace qb
