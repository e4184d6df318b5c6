// The base model's token log-probabilities in llama-perplexity's packed form.
//
// Full logits are n_vocab floats per scored token (150 k vocabulary: 600 kB per token), too much to
// keep for a whole text. llama-perplexity --kl-divergence-base stores, per token, two floats
// (scale, minimum log-probability) and one uint16 per vocabulary entry: the log-probability
// quantized over the 16 nats below the maximum (smaller ones count as 0 probability). We store
// exactly that, so our statistics see the same base values as llama-perplexity's and match it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qb::eval {

// uint16 values one token's packed record takes: 4 (two floats) + n_vocab rounded up to even.
inline size_t packedLogProbWidth(int nVocab) { return 2 * ((size_t(nVocab) + 1) / 2) + 4; }

// Packs one token's logits into out (packedLogProbWidth(nVocab) values) and returns the negative
// log-likelihood of `token` from the unpacked logits, as llama-perplexity does while packing.
double packLogProbs(const float *logits, int nVocab, int token, uint16_t *out);

// The log-probability a packed record holds for one vocabulary entry.
float packedLogProb(const uint16_t *packed, int index);

} // namespace qb::eval
