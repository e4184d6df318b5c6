// Per-token arithmetic in llama-perplexity's float/double mix (its log_softmax with a base
// record, kl_divergence()'s lambdas), so equal logits give equal sums.
#include "eval/kld_statistics.h"

#include "eval/log_prob_packing.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <utility>

namespace qb::eval {
namespace {

// Mean and its standard error; 0 uncertainty for 10 values or fewer, as llama-perplexity.
Estimate meanAndUncertainty(double sum, double sum2, size_t count) {
    if (count < 1) return {};
    const double f = sum / double(count);
    double df = sum2 / double(count) - f * f;
    df = df > 0 && count > 10 ? std::sqrt(df / double(count - 1)) : 0.;
    return {f, df};
}

double covariance(double sumA, double sumB, double sumAB, size_t count) {
    if (count < 10) return 0.0;
    double var = sumAB / double(count) - (sumA / double(count)) * (sumB / double(count));
    return var / double(count - 1);
}

// Linear interpolation between the sorted values around fraction*(n-1), in float as llama-perplexity.
float percentile(const std::vector<float> &sorted, float fraction) {
    if (fraction <= 0) return sorted.front();
    if (fraction >= 1) return sorted.back();
    float p = fraction * float(sorted.size() - 1);
    const size_t ip = size_t(p);
    p -= float(ip);
    return (1 - p) * sorted[ip] + p * sorted[std::min(ip + 1, sorted.size() - 1)];
}

float median(const std::vector<float> &sorted) {
    const size_t n = sorted.size();
    return n % 2 == 0 ? 0.5f * (sorted[n / 2] + sorted[n / 2 - 1]) : sorted[n / 2];
}

} // namespace

Estimate PerplexityAccumulator::perplexity() const {
    if (count == 0) return {};
    const double mean = sumNll / double(count);
    const double ppl = std::exp(mean);
    double var = sumNll2 / double(count) - mean * mean;
    return {ppl, var > 0 && count > 1 ? std::sqrt(var / double(count - 1)) * ppl : 0.0};
}

void KldAccumulator::add(const float *logits, int nVocab, const uint16_t *packedBase, int token) {
    float maxLogit = logits[0];
    int iMax = 0;
    for (int i = 1; i < nVocab; ++i)
        if (logits[i] > maxLogit) {
            maxLogit = logits[i];
            iMax = i;
        }
    double sumExp = 0.0;
    for (int i = 0; i < nVocab; ++i)
        sumExp += std::exp(logits[i] - maxLogit);
    const float logSumExp = float(std::log(sumExp));
    float scale, minLogProb;
    std::memcpy(&scale, packedBase, sizeof scale);
    std::memcpy(&minLogProb, packedBase + 2, sizeof minLogProb);
    const uint16_t *base = packedBase + 4;

    const float nll = maxLogit + logSumExp - logits[token];
    m_sumNll += nll;
    m_sumNll2 += nll * nll;  // float products, as llama-perplexity
    const float nllBase = -(scale * base[token] + minLogProb);
    m_sumNllBase += nllBase;
    m_sumNllBase2 += nllBase * nllBase;
    m_sumNllNllBase += nll * nllBase;

    maxLogit += logSumExp;
    double sum = 0;
    int iMaxBase = -1;
    float baseMax = 0;
    for (int i = 0; i < nVocab; ++i) {
        const float logBase = scale * base[i] + minLogProb;
        if (i == 0 || logBase > baseMax) {
            baseMax = logBase;
            iMaxBase = i;
        }
        if (logBase > -16.f) {
            const float pBase = std::exp(logBase);
            sum += pBase * (logBase - logits[i] + maxLogit);
        }
    }
    m_sumKld += sum;
    m_sumKld2 += sum * sum;
    ++m_count;
    if (iMax == iMaxBase) ++m_sameTop;

    const float pBase = std::exp(-nllBase);
    const float p = std::exp(-nll);
    const float pDiff = p - pBase;
    m_sumPDiff += pDiff;
    const double pDiff2 = pDiff * pDiff;
    m_sumPDiff2 += pDiff2;
    m_sumPDiff4 += pDiff2 * pDiff2;
    m_kld.push_back(float(sum));
    m_pDiff.push_back(pDiff);
}

KldSummary KldAccumulator::summary() const {
    assert(m_count > 0);
    KldSummary s;
    s.tokens = m_count;
    const Estimate logPpl = meanAndUncertainty(m_sumNll, m_sumNll2, m_count);
    s.ppl = {std::exp(logPpl.value), std::exp(logPpl.value) * logPpl.uncertainty};
    const Estimate logPplBase = meanAndUncertainty(m_sumNllBase, m_sumNllBase2, m_count);
    s.pplBase = {std::exp(logPplBase.value), std::exp(logPplBase.value) * logPplBase.uncertainty};
    const double cov = covariance(m_sumNll, m_sumNllBase, m_sumNllNllBase, m_count);
    const double uu = logPpl.uncertainty * logPplBase.uncertainty;
    s.logPplCorrelation = uu > 0 ? cov / uu : 0.0;
    // The variance of a difference of two nearly equal series can round below 0: 0, not NaN.
    s.logPplRatio = {logPpl.value - logPplBase.value,
                     std::sqrt(std::max(0.0, logPpl.uncertainty * logPpl.uncertainty +
                                             logPplBase.uncertainty * logPplBase.uncertainty - 2.0 * cov))};
    s.pplRatio = {std::exp(s.logPplRatio.value), std::exp(s.logPplRatio.value) * s.logPplRatio.uncertainty};
    const double pplCov = s.ppl.value * s.pplBase.value * cov;
    s.pplDifference = {s.ppl.value - s.pplBase.value,
                       std::sqrt(std::max(0.0, s.ppl.uncertainty * s.ppl.uncertainty +
                                                   s.pplBase.uncertainty * s.pplBase.uncertainty - 2.0 * pplCov))};

    s.kld = meanAndUncertainty(m_sumKld, m_sumKld2, m_count);
    std::vector<float> kld = m_kld;
    std::sort(kld.begin(), kld.end());
    s.kldMaximum = kld.back();
    s.kld999 = percentile(kld, 0.999f);
    s.kld99 = percentile(kld, 0.990f);
    s.kld95 = percentile(kld, 0.950f);
    s.kld90 = percentile(kld, 0.900f);
    s.kldMedian = median(kld);
    s.kld10 = percentile(kld, 0.100f);
    s.kld05 = percentile(kld, 0.050f);
    s.kld01 = percentile(kld, 0.010f);
    s.kld001 = percentile(kld, 0.001f);
    s.kldMinimum = kld.front();

    s.meanDeltaP = meanAndUncertainty(m_sumPDiff, m_sumPDiff2, m_count);
    std::vector<float> pDiff = m_pDiff;
    std::sort(pDiff.begin(), pDiff.end());
    s.deltaPMaximum = pDiff.back();
    s.deltaP99 = percentile(pDiff, 0.990f);
    s.deltaPMedian = median(pDiff);
    s.deltaP01 = percentile(pDiff, 0.010f);
    s.deltaPMinimum = pDiff.front();
    const Estimate mse = meanAndUncertainty(m_sumPDiff2, m_sumPDiff4, m_count);
    const double rms = std::sqrt(mse.value);
    s.rmsDeltaP = {rms, rms > 0 ? 0.5 / rms * mse.uncertainty : 0.0};

    const double same = double(m_sameTop) / double(m_count);
    s.sameTop = {same, m_count > 1 ? std::sqrt(same * (1.0 - same) / double(m_count - 1)) : 0.0};
    return s;
}

} // namespace qb::eval
