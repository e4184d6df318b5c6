// Is a candidate a quantization of the base model? KL divergence compares the two models' token
// distributions position by position, so both must read the text as the same tokens and predict
// over the same vocabulary: same tensors (names and shapes; types may differ) and the same
// tokenizer (every tokenizer.ggml.* key: model, tokens, scores, token types, merges, special ids).
// A file converted from another checkpoint or with another tokenizer is refused, not measured.
#pragma once

#include <filesystem>
#include <string>

namespace qb { class GgufModel; }

namespace qb::eval {

// Throws qb::Error (BadInput) naming what differs: a tensor missing, extra or of another shape,
// or the first tokenizer key and entry that differ ("tokenizer.ggml.scores[17] is -3.5, the
// base's -2.25").
void checkSameModel(const GgufModel &base, const GgufModel &candidate, const std::string &candidateName);

// Opens a candidate file (headers only) and checks it as above, before any inference runs, so a
// wrong file is refused at once. Throws qb::Error (BadInput) naming the file.
void checkCandidateFile(const GgufModel &base, const std::filesystem::path &candidate, const std::string &candidateName);

} // namespace qb::eval
