#include "ggml_types.h"

#include <cctype>
#include <stdexcept>

namespace qb {
namespace {

constexpr TypeTraits kTypes[] = {
    {GgmlType::F32, "f32", 1, 4, false},
    {GgmlType::F16, "f16", 1, 2, false},
    {GgmlType::Q4_0, "q4_0", 32, 18, true},
    {GgmlType::Q4_1, "q4_1", 32, 20, true},
    {GgmlType::Q5_0, "q5_0", 32, 22, true},
    {GgmlType::Q5_1, "q5_1", 32, 24, true},
    {GgmlType::Q8_0, "q8_0", 32, 34, true},
    {GgmlType::Q8_1, "q8_1", 32, 36, true},
    {GgmlType::Q2_K, "q2_K", 256, 84, true},
    {GgmlType::Q3_K, "q3_K", 256, 110, true},
    {GgmlType::Q4_K, "q4_K", 256, 144, true},
    {GgmlType::Q5_K, "q5_K", 256, 176, true},
    {GgmlType::Q6_K, "q6_K", 256, 210, true},
    {GgmlType::Q8_K, "q8_K", 256, 292, true},
    {GgmlType::IQ2_XXS, "iq2_xxs", 256, 66, true},
    {GgmlType::IQ2_XS, "iq2_xs", 256, 74, true},
    {GgmlType::IQ3_XXS, "iq3_xxs", 256, 98, true},
    {GgmlType::IQ1_S, "iq1_s", 256, 50, true},
    {GgmlType::IQ4_NL, "iq4_nl", 32, 18, true},
    {GgmlType::IQ3_S, "iq3_s", 256, 110, true},
    {GgmlType::IQ2_S, "iq2_s", 256, 82, true},
    {GgmlType::IQ4_XS, "iq4_xs", 256, 136, true},
    {GgmlType::I8, "i8", 1, 1, false},
    {GgmlType::I16, "i16", 1, 2, false},
    {GgmlType::I32, "i32", 1, 4, false},
    {GgmlType::I64, "i64", 1, 8, false},
    {GgmlType::F64, "f64", 1, 8, false},
    {GgmlType::IQ1_M, "iq1_m", 256, 56, true},
    {GgmlType::BF16, "bf16", 1, 2, false},
    {GgmlType::TQ1_0, "tq1_0", 256, 54, true},
    {GgmlType::TQ2_0, "tq2_0", 256, 66, true},
    {GgmlType::MXFP4, "mxfp4", 32, 17, true},
    {GgmlType::NVFP4, "nvfp4", 64, 36, true},
    {GgmlType::Q1_0, "q1_0", 128, 18, true},
    {GgmlType::Q2_0, "q2_0", 64, 18, true},
};

// id -> index into kTypes, -1 where ggml has no type.
struct IdIndex {
    int8_t index[kGgmlTypeCount];
    constexpr IdIndex() : index{} {
        for (auto &i : index) i = -1;
        for (int k = 0; k < int(std::size(kTypes)); ++k) index[uint32_t(kTypes[k].type)] = int8_t(k);
    }
};
constexpr IdIndex kIdIndex;

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

} // namespace

const TypeTraits *typeTraits(uint32_t id) {
    if (id >= kGgmlTypeCount || kIdIndex.index[id] < 0) return nullptr;
    return &kTypes[kIdIndex.index[id]];
}

const TypeTraits &typeTraits(GgmlType type) {
    const TypeTraits *t = typeTraits(static_cast<uint32_t>(type));
    if (!t) throw std::logic_error("typeTraits: invalid GgmlType value");
    return *t;
}

bool isRemovedTypeId(uint32_t id) {
    return id == 4 || id == 5 || (id >= 31 && id <= 33) || (id >= 36 && id <= 38);
}

std::optional<GgmlType> typeFromName(std::string_view name) {
    for (const auto &t : kTypes)
        if (equalsIgnoreCase(name, t.name)) return t.type;
    return std::nullopt;
}

int64_t rowSizeBytes(GgmlType type, int64_t ncols) {
    const TypeTraits &t = typeTraits(type);
    return ncols / t.blockSize * t.typeSize;
}

const TypeTraits *allTypesBegin() { return std::begin(kTypes); }
const TypeTraits *allTypesEnd() { return std::end(kTypes); }

} // namespace qb
