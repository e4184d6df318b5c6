// Checks a quantized source tensor's block scales once before the analysis decodes it, as
// ggml_validate_row_data would (kernels/block_scale_validation.h): a NaN scale would otherwise
// turn into NaN metrics and histograms that look like a property of the candidate type.
//
// Contract: check() throws qb::Error (BadInput) naming the tensor, block, field and value; a
// tensor found valid is not read again. Thread-safe (the label table analyses pairs in
// parallel); two threads may check the same tensor at once, which only costs a second read.
#pragma once

#include "gguf/gguf_model.h"

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace qb {

class SourceValidation {
public:
    explicit SourceValidation(size_t tensorCount) : m_valid(tensorCount, 0) {}
    void check(const GgufModel &model, size_t tensor);

private:
    std::mutex m_mutex;
    std::vector<uint8_t> m_valid;
};

} // namespace qb
