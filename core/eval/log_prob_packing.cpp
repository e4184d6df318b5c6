// Same arithmetic, in the same float/double mix and order, as llama-perplexity's log_softmax
// with a uint16 output (tools/perplexity/perplexity.cpp): equal inputs give equal bytes.
#include "eval/log_prob_packing.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace qb::eval {
namespace {

// Round to nearest by the 1.5 * 2^23 trick llama.cpp uses (ties to even, valid below 2^22).
inline int nearestInt(float value) {
    const float shifted = value + 12582912.f;
    int bits;
    std::memcpy(&bits, &shifted, sizeof bits);
    return (bits & 0x007fffff) - 0x00400000;
}

} // namespace

double packLogProbs(const float *logits, int nVocab, int token, uint16_t *out) {
    float maxLogit = logits[0];
    float minLogit = logits[0];
    for (int i = 1; i < nVocab; ++i) {
        maxLogit = std::max(maxLogit, logits[i]);
        minLogit = std::min(minLogit, logits[i]);
    }
    minLogit = std::max(minLogit, maxLogit - 16);
    double sumExp = 0.0;
    for (int i = 0; i < nVocab; ++i)
        sumExp += std::exp(logits[i] - maxLogit);
    const float logSumExp = float(std::log(sumExp));
    const float minLogProb = minLogit - maxLogit - logSumExp;
    const float scale = (maxLogit - minLogit) / 65535.f;
    std::memcpy(out, &scale, sizeof scale);
    std::memcpy(out + 2, &minLogProb, sizeof minLogProb);
    uint16_t *values = out + 4;
    if (scale != 0.f) {
        const float invScale = 1 / scale;
        for (int i = 0; i < nVocab; ++i)
            values[i] = logits[i] > minLogit ? uint16_t(nearestInt(invScale * (logits[i] - minLogit))) : 0;
    } else {
        std::memset(values, 0, size_t(nVocab) * sizeof(uint16_t));
    }
    if (nVocab % 2) values[nVocab] = 0;  // the padding entry, never read
    return maxLogit + logSumExp - logits[token];
}

float packedLogProb(const uint16_t *packed, int index) {
    float scale, minLogProb;
    std::memcpy(&scale, packed, sizeof scale);
    std::memcpy(&minLogProb, packed + 2, sizeof minLogProb);
    return scale * packed[4 + index] + minLogProb;
}

} // namespace qb::eval
