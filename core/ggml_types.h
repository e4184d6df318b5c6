// ggml tensor types: ids, names, block geometry.
//
// Contract: the ids and sizes are those of ggml (see ../shared/docs/REFERENCE.md). typeTraits()
// answers for any 32-bit id read from a file: nullptr for ids ggml never had or has removed,
// so callers can reject them with a clear message instead of indexing out of range.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qb {

enum class GgmlType : uint32_t {
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
    IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
    TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39, NVFP4 = 40, Q1_0 = 41, Q2_0 = 42,
};

// One past the largest id ggml defines; ids at or above it are unknown.
inline constexpr uint32_t kGgmlTypeCount = 43;
inline constexpr int64_t QK_K = 256;

struct TypeTraits {
    GgmlType type;
    const char *name;      // as ggml_type_name() spells it
    int64_t blockSize;     // elements per block
    int64_t typeSize;      // bytes per block
    bool quantized;        // block-quantized (not a plain float or integer type)
};

// nullptr for unknown or removed ids (4, 5, 31-33, 36-38, >= 43).
const TypeTraits *typeTraits(uint32_t id);
const TypeTraits &typeTraits(GgmlType type);

// True for ids ggml once had and removed (Q4_2, Q4_3, Q4_0_4_4 ...): these get their own message.
bool isRemovedTypeId(uint32_t id);

inline const char *typeName(GgmlType type) { return typeTraits(type).name; }

// Case-insensitive lookup by ggml name ("q4_k", "Q4_K", "bf16").
std::optional<GgmlType> typeFromName(std::string_view name);

// Bytes of one row of ncols elements; ncols must be a multiple of the block size.
int64_t rowSizeBytes(GgmlType type, int64_t ncols);

// All valid types in id order, for UIs and tests.
const TypeTraits *allTypesBegin();
const TypeTraits *allTypesEnd();

} // namespace qb
