// The Qt-free, llama-free part of `evaluate`: llama-perplexity's uint16 packing of the base
// log-probabilities, the KL-divergence/perplexity statistics, and the base-logit file. The
// end-to-end equality with llama-perplexity itself is tests/cli/test_evaluate.sh.
#include "eval/base_logit_store.h"
#include "eval/kld_statistics.h"
#include "eval/log_prob_packing.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <vector>

using namespace qb::eval;

namespace {

std::vector<double> logSoftmax(const std::vector<float> &logits) {
    double mx = logits[0];
    for (float l : logits) mx = std::max(mx, double(l));
    double sum = 0;
    for (float l : logits) sum += std::exp(l - mx);
    std::vector<double> out;
    for (float l : logits) out.push_back(l - mx - std::log(sum));
    return out;
}

std::vector<uint16_t> pack(const std::vector<float> &logits, int token, double *nll = nullptr) {
    std::vector<uint16_t> out(packedLogProbWidth(int(logits.size())), 0xffff);
    const double v = packLogProbs(logits.data(), int(logits.size()), token, out.data());
    if (nll) *nll = v;
    return out;
}

} // namespace

class TestEvalStatistics : public QObject {
    Q_OBJECT
private slots:
    void packingKeepsLogProbabilities() {
        const std::vector<float> logits{2.0f, -1.0f, 0.5f, -30.0f, 1.25f};  // odd count: one padding entry
        QCOMPARE(packedLogProbWidth(5), size_t(10));
        double nll = 0;
        const auto packed = pack(logits, 2, &nll);
        const auto exact = logSoftmax(logits);
        QVERIFY(std::fabs(nll + exact[2]) < 1e-6);
        // Resolution: the 16-nat range below the maximum in 65535 steps.
        for (int i : {0, 1, 2, 4}) QVERIFY2(std::fabs(packedLogProb(packed.data(), i) - exact[i]) < 16.0 / 65535, qPrintable(QString::number(i)));
        QCOMPARE(packed[4 + 3], uint16_t(0));  // more than 16 nats below the top: the floor
        QCOMPARE(packed[4 + 0], uint16_t(65535));
        QCOMPARE(packed[4 + 5], uint16_t(0));  // padding written as 0, not left undefined
    }

    void identicalDistributionsGiveZero() {
        const std::vector<float> logits{0.3f, 1.7f, -0.4f, 0.9f, 0.0f, -2.0f};
        KldAccumulator kld;
        for (int t = 0; t < 6; ++t) kld.add(logits.data(), 6, pack(logits, t).data(), t);
        const auto s = kld.summary();
        QCOMPARE(s.tokens, size_t(6));
        // Only the packing's rounding remains: half a step of 3.7 nats / 65535 per log-probability.
        QVERIFY(std::fabs(s.kld.value) < 1e-4);
        QCOMPARE(s.sameTop.value, 1.0);
        QVERIFY(std::fabs(s.ppl.value - s.pplBase.value) < 1e-4);
        QVERIFY(std::fabs(s.rmsDeltaP.value) < 1e-4);
    }

    void kldOfKnownDistributions() {
        const std::vector<float> base{1.0f, 0.0f, -1.0f, 0.5f};
        const std::vector<float> cand{0.2f, 0.4f, -1.5f, 0.5f};
        const auto p = logSoftmax(base), q = logSoftmax(cand);
        double exact = 0;
        for (size_t i = 0; i < p.size(); ++i) exact += std::exp(p[i]) * (p[i] - q[i]);
        KldAccumulator kld;
        kld.add(cand.data(), 4, pack(base, 1).data(), 1);
        const auto s = kld.summary();
        QVERIFY2(std::fabs(s.kld.value - exact) < 1e-4, qPrintable(QString("%1 vs %2").arg(s.kld.value).arg(exact)));
        QVERIFY(s.kld.value > 0);
        QCOMPARE(s.sameTop.value, 0.0);                    // top token 0 against 1
        QVERIFY(std::fabs(s.ppl.value - std::exp(-q[1])) < 1e-5);  // one token: PPL = 1/p(token)
        QVERIFY(std::fabs(s.pplBase.value - std::exp(-p[1])) < 1e-3);
        QVERIFY(std::fabs(s.meanDeltaP.value - (std::exp(q[1]) - std::exp(p[1]))) < 1e-4);
        QCOMPARE(s.kld.uncertainty, 0.0);                  // 10 tokens or fewer: no ± (as llama-perplexity)
    }

    void percentilesInterpolateSortedValues() {
        // Eleven tokens whose candidate moves further and further from the base.
        const std::vector<float> base{1.0f, 0.0f, -1.0f};
        KldAccumulator all;
        std::vector<double> each;
        for (int k = 10; k >= 0; --k) {  // out of order on purpose
            const std::vector<float> cand{1.0f - 0.2f * k, 0.0f, -1.0f + 0.1f * k};
            const auto packed = pack(base, 0);
            all.add(cand.data(), 3, packed.data(), 0);
            KldAccumulator one;
            one.add(cand.data(), 3, packed.data(), 0);
            each.push_back(one.summary().kld.value);
        }
        std::sort(each.begin(), each.end());
        const auto s = all.summary();
        QCOMPARE(s.tokens, size_t(11));
        QVERIFY(std::fabs(s.kldMedian - each[5]) < 1e-7);
        QVERIFY(std::fabs(s.kldMaximum - each[10]) < 1e-7);
        QVERIFY(std::fabs(s.kldMinimum - each[0]) < 1e-7);
        QVERIFY(std::fabs(s.kld90 - each[9]) < 1e-6);                              // 0.9 * 10 = index 9
        QVERIFY(std::fabs(s.kld95 - 0.5 * (each[9] + each[10])) < 1e-6);            // 9.5: halfway
        QVERIFY(std::fabs(s.kld99 - (0.1 * each[9] + 0.9 * each[10])) < 1e-6);      // 9.9
        double mean = 0, mean2 = 0;
        for (double v : each) { mean += v / 11; mean2 += v * v / 11; }
        QVERIFY(std::fabs(s.kld.value - mean) < 1e-6);
        QVERIFY(std::fabs(s.kld.uncertainty - std::sqrt((mean2 - mean * mean) / 10)) < 1e-6);  // 11 > 10: a ±
    }

    void perplexityEstimate() {
        PerplexityAccumulator a;
        for (double v : {1.0, 2.0, 3.0}) a.add(v);
        const auto e = a.perplexity();
        QVERIFY(std::fabs(e.value - std::exp(2.0)) < 1e-12);
        // llama-perplexity: sqrt((mean of squares - square of mean) / (count - 1)) * PPL
        QVERIFY(std::fabs(e.uncertainty - std::sqrt((14.0 / 3 - 4.0) / 2) * std::exp(2.0)) < 1e-12);
    }

    void baseLogitStoreLayoutAndCleanup() {
        QTemporaryDir dir;
        const int nCtx = 8, nVocab = 3, nChunks = 2;
        std::vector<int32_t> tokens(16);
        for (int i = 0; i < 16; ++i) tokens[i] = i % 3;
        std::filesystem::path path;
        {
            BaseLogitStore store(dir.path().toStdString(), nCtx, nVocab, nChunks, tokens);
            path = store.path();
            QCOMPARE(store.scoredPerChunk(), 3);                    // n_ctx - 1 - n_ctx/2
            QCOMPARE(store.chunkValues(), size_t(3 * 8));           // 3 tokens x (4 + 4)
            std::vector<uint16_t> a(24), b(24);
            for (int i = 0; i < 24; ++i) { a[i] = uint16_t(i); b[i] = uint16_t(1000 + i); }
            store.appendChunk(a);
            store.appendChunk(b);
            QVERIFY_THROWS_EXCEPTION(std::logic_error, store.appendChunk(a));  // no third chunk
            std::vector<uint16_t> back;
            store.readChunk(1, back);
            QCOMPARE(back, b);
            store.readChunk(0, back);
            QCOMPARE(back, a);
            QCOMPARE(std::filesystem::file_size(path), store.fileBytes());
            // llama-perplexity's --kl-divergence-base layout.
            std::ifstream in(path, std::ios::binary);
            char magic[8];
            int32_t header[3];
            in.read(magic, 8);
            in.read(reinterpret_cast<char *>(header), sizeof header);
            QCOMPARE(std::string(magic, 8), std::string("_logits_"));
            QCOMPARE(header[0], nCtx);
            QCOMPARE(header[1], nVocab);
            QCOMPARE(header[2], nChunks);
            std::vector<int32_t> stored(16);
            in.read(reinterpret_cast<char *>(stored.data()), 64);
            QCOMPARE(stored, tokens);
        }
        QVERIFY(!std::filesystem::exists(path));  // a temporary: gone with its owner
    }
};

QTEST_GUILESS_MAIN(TestEvalStatistics)
#include "tst_eval_statistics.moc"
