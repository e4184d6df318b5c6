// Whether an importance matrix was made for a model, checked before it weights anything.
//
// A matrix made for another model would silently weight nothing (no names match) or weight
// columns with another model's values; either way weighted errors and quantizations would lie.
// llama-quantize ignores a token_embd entry of another size; a matrix is refused here for any
// entry whose size differs, since analysis would weight this model's embedding columns with it.
#pragma once

#include "gguf/gguf_model.h"
#include "imatrix/importance_matrix.h"

#include <string>

namespace qb {

// Throws qb::Error (BadInput) naming `origin` (how the user gave the matrix) and the first entry
// whose value count is not the tensor's columns (ne[0] * ne[2]), or saying that no entry names a
// tensor of the model.
void checkImportanceFits(const GgufModel &model, const ImportanceMatrix &imatrix, const std::string &origin);

} // namespace qb
