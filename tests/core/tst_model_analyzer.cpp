// Model-level analysis: sizes and aggregate errors of whole mixes, and reuse of cached pairs.
#include "golden.h"

#include "analysis/model_analyzer.h"

#include <QtTest>

#include <cmath>

namespace {

// Every 2-D tensor in `type`, the rest kept as stored.
std::vector<qb::MixEntry> uniformMix(const qb::GgufModel &model, qb::GgmlType type) {
    std::vector<qb::MixEntry> mix;
    for (size_t i = 0; i < model.tensors().size(); ++i) {
        const auto &info = *model.tensors()[i].info;
        mix.push_back({i, info.nDims >= 2 ? type : info.type});
    }
    return mix;
}

} // namespace

class TestModelAnalyzer : public QObject {
    Q_OBJECT
private slots:
    void summaryBytesAndAggregate();
    void sharedPairsAreComputedOnce();
    void importanceWeightedAggregate();
};

void TestModelAnalyzer::summaryBytesAndAggregate() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
    qb::ModelAnalyzer analyzer(*model, nullptr);
    const auto mix = uniformMix(*model, qb::GgmlType::Q8_0);
    const qb::MixSummary s = analyzer.summarize("Q8_0", mix, qb::AnalysisMode::Exact, 2);

    // Bytes: the pure Q8_0 file's tensor data, exactly.
    const auto pure = qb::GgufFile::open(qbtest::golden("pure/Q8_0.gguf"));
    uint64_t bytes = 0, params = 0;
    for (const auto &t : pure->tensors()) {
        bytes += t.nbytes;
        params += uint64_t(t.elements());
    }
    QCOMPARE(s.bytes, bytes);
    QCOMPARE(s.parameters, params);
    QCOMPARE(s.bitsPerWeight, 8.0 * double(bytes) / double(params));

    // Aggregate: sqrt(Σ n·rel² / Σ n) over the per-tensor analyses.
    double sum = 0;
    for (const auto &e : mix) {
        const auto &info = *model->tensors()[e.tensor].info;
        if (info.type == e.type) continue;
        const auto r = analyzer.cached(e.tensor, e.type);
        QVERIFY(r);
        sum += double(info.elements()) * r->metrics.relativeRmse * r->metrics.relativeRmse;
    }
    QCOMPARE(s.relativeRmse, std::sqrt(sum / double(params)));
    QVERIFY(s.relativeRmse > 0 && s.relativeRmse < 0.02);  // Q8_0 on heavy-tailed weights: well under 2 %
    QVERIFY(!s.weighted);
}

void TestModelAnalyzer::sharedPairsAreComputedOnce() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
    qb::ModelAnalyzer analyzer(*model, nullptr);
    const auto q4 = uniformMix(*model, qb::GgmlType::Q4_K);
    const size_t quantized = size_t(std::count_if(q4.begin(), q4.end(), [&](const qb::MixEntry &e) {
        return model->tensors()[e.tensor].info->type != e.type;
    }));
    const qb::MixSummary first = analyzer.summarize("a", q4, qb::AnalysisMode::Preview, 2);
    QCOMPARE(first.pairsComputed, quantized);
    // A second mix differing in one tensor costs one analysis.
    auto changed = q4;
    for (auto &e : changed)
        if (model->tensors()[e.tensor].info->name == "output.weight") e.type = qb::GgmlType::Q6_K;
    const qb::MixSummary second = analyzer.summarize("b", changed, qb::AnalysisMode::Preview, 2);
    QCOMPARE(second.pairsComputed, size_t(1));
    QVERIFY(second.bytes > first.bytes);
    // Repeating a mix costs nothing and gives the same answer.
    const qb::MixSummary again = analyzer.summarize("a", q4, qb::AnalysisMode::Preview, 2);
    QCOMPARE(again.pairsComputed, size_t(0));
    QCOMPARE(again.relativeRmse, first.relativeRmse);
}

void TestModelAnalyzer::importanceWeightedAggregate() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    auto imatrix = std::make_shared<const qb::ImportanceMatrix>(
        qb::ImportanceMatrix::load(qbtest::golden("imatrix/llama256.f16.imatrix.dat")));
    qb::ModelAnalyzer plain(*model, nullptr);
    qb::ModelAnalyzer weighted(*model, imatrix);
    const auto mix = uniformMix(*model, qb::GgmlType::Q3_K);
    const qb::MixSummary a = plain.summarize("Q3_K", mix, qb::AnalysisMode::Preview, 2);
    const qb::MixSummary b = weighted.summarize("Q3_K", mix, qb::AnalysisMode::Preview, 2);
    QVERIFY(b.weighted);
    QCOMPARE(a.bytes, b.bytes);
    // token_embd has no importance entry: its weighted error is its plain one.
    const size_t embd = size_t(model->findTensor("token_embd.weight") - model->tensors().data());
    QVERIFY(weighted.importanceFor(embd).empty());
    QVERIFY(!weighted.importanceFor(embd + 1).empty() || model->tensors()[embd + 1].info->nDims == 1);
    QVERIFY(b.weightedRelative > 0);
}

QTEST_GUILESS_MAIN(TestModelAnalyzer)
#include "tst_model_analyzer.moc"
