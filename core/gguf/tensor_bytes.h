// Bytes of one tensor stored at a ggml type: whole rows of whole blocks. The one formula every
// size estimate uses (quantize's dry run and summary, analysis summaries, the GUI's mix, quality
// chart and quantize dialog). For the tensor's own type it equals GgufTensorInfo::nbytes, which
// the reader computes from the same blocks.
#pragma once

#include "ggml_types.h"
#include "gguf/gguf_file.h"

#include <cstdint>

namespace qb {

inline uint64_t tensorBytesAt(const GgufTensorInfo &info, GgmlType type) {
    return uint64_t(rowSizeBytes(type, info.rowLength())) * uint64_t(info.rows());
}

} // namespace qb
