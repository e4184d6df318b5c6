// llama-quantize's input check: it loads every tensor with check_tensors on, and
// ggml_validate_row_data refuses float data holding a NaN or an infinity ("tensor '...' has
// invalid data"), so a broken model is refused instead of quantized into garbage.
//
// Contract: checks F32, F16 and BF16 data (what models to quantize are stored in); other types
// are not checked (ggml checks only their block scales; see README). Reads every byte, so it also
// brings the tensor's pages into memory ahead of the quantizer.
#pragma once

#include "ggml_types.h"

#include <cstdint>
#include <optional>
#include <span>

namespace qb {

// Whether firstNonFinite looks at this type's data.
bool isValidatedType(GgmlType type);

// The index of the first element that is NaN or infinite, if any.
std::optional<uint64_t> firstNonFinite(GgmlType type, std::span<const uint8_t> data);

} // namespace qb
