// Perplexity and KL-divergence statistics of a candidate model against a base model, computed as
// llama-perplexity --kl-divergence computes and prints them (tools/perplexity/perplexity.cpp):
// same per-token arithmetic, same ± formulas, same percentile interpolation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace qb::eval {

// A value and its standard uncertainty, as printed "value ± uncertainty".
struct Estimate {
    double value = 0;
    double uncertainty = 0;
};

// Running sums of the negative log-likelihood of the scored tokens (one model alone).
struct PerplexityAccumulator {
    double sumNll = 0, sumNll2 = 0;
    size_t count = 0;

    void add(double nll) { sumNll += nll; sumNll2 += nll * nll; ++count; }
    // exp(mean nll) ± ppl * stddev(nll)/sqrt(count-1): llama-perplexity's "Final estimate".
    Estimate perplexity() const;
};

struct KldSummary {
    size_t tokens = 0;
    Estimate ppl, pplBase;           // perplexity of candidate and base over the same tokens
    double logPplCorrelation = 0;    // Cor(ln PPL(Q), ln PPL(base))
    Estimate logPplRatio;            // mean ln(PPL(Q)/PPL(base))
    Estimate pplRatio;               // PPL(Q)/PPL(base)
    Estimate pplDifference;          // PPL(Q)-PPL(base)
    Estimate kld;                    // mean KL divergence (nats)
    double kldMaximum = 0, kld999 = 0, kld99 = 0, kld95 = 0, kld90 = 0, kldMedian = 0;
    double kld10 = 0, kld05 = 0, kld01 = 0, kld001 = 0, kldMinimum = 0;
    Estimate meanDeltaP;             // mean p(Q) - p(base) of the right token (fraction, not %)
    Estimate rmsDeltaP;              // RMS of that difference
    double deltaPMaximum = 0, deltaP99 = 0, deltaPMedian = 0, deltaP01 = 0, deltaPMinimum = 0;
    Estimate sameTop;                // fraction of tokens whose most likely next token is the same
};

class KldAccumulator {
public:
    // One scored token: the candidate's logits, the base's packed log-probabilities
    // (log_prob_packing.h) and the token that came next in the text.
    void add(const float *logits, int nVocab, const uint16_t *packedBase, int token);
    size_t count() const { return m_count; }
    // Needs at least one token; the percentiles need none more, but llama-perplexity prints
    // the final statistics only from 100 tokens on.
    KldSummary summary() const;

private:
    double m_sumNll = 0, m_sumNll2 = 0, m_sumNllBase = 0, m_sumNllBase2 = 0, m_sumNllNllBase = 0;
    double m_sumKld = 0, m_sumKld2 = 0, m_sumPDiff = 0, m_sumPDiff2 = 0, m_sumPDiff4 = 0;
    size_t m_sameTop = 0, m_count = 0;
    std::vector<float> m_kld, m_pDiff;  // per token, for median and percentiles (8 bytes a token)
};

} // namespace qb::eval
