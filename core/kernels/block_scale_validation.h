// The block-scale half of ggml_validate_row_data: llama.cpp (loading with check_tensors, as
// llama-quantize does) refuses a quantized tensor whose blocks hold a non-finite scale, because
// every weight decoded from that block would be NaN or infinite.
//
// Contract: checks exactly the fields ggml checks, per type: the F16 scale `d` of Q4_0, Q5_0,
// Q8_0, Q1_0, Q2_0, Q3_K, Q6_K, TQ1_0, TQ2_0 and the IQ types; `d` and the min (`m` / `dmin`) of
// Q4_1, Q5_1, Q2_K, Q4_K, Q5_K; the F32 `d` of Q8_K; IQ1_M's scale assembled from the top nibbles
// of its four 16-bit scale words; MXFP4's E8M0 exponent (0xff is NaN). F16 is non-finite when its
// exponent bits are all set. Plain float types are tensor_validation's; integer types and NVFP4
// (every scale byte valid) have nothing to check. Reads only the scale fields, in block order.
#pragma once

#include "ggml_types.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace qb {

struct InvalidBlockScale {
    uint64_t block = 0;     // index of the first bad block in the data
    std::string field;      // "d", "m", "dmin", "scale" (IQ1_M), "e" (MXFP4)
    std::string value;      // "NaN", "inf", "-inf", "0xff (NaN)"
};

// Whether firstInvalidBlockScale checks anything for this type.
bool hasBlockScales(GgmlType type);

// The first block whose scale ggml_validate_row_data would refuse, if any.
std::optional<InvalidBlockScale> firstInvalidBlockScale(GgmlType type, std::span<const uint8_t> data);

// "tensor 'NAME' has invalid data: block B's scale d is NaN (...)" for messages.
std::string describeInvalidBlockScale(const std::string &tensor, GgmlType type, const InvalidBlockScale &bad);

} // namespace qb
