// The error analysis engine on the golden models: metrics against a straightforward
// independent computation, histogram bookkeeping, error ordering across bit widths, the
// benefit of importance data, preview against exact, cancellation and thread independence.
#include "golden.h"

#include "analysis/analysis_cache.h"
#include "analysis/tensor_analyzer.h"
#include "error.h"
#include "imatrix/importance_matrix.h"
#include "kernels/kernels.h"

#include <QtTest>

#include <cmath>

namespace {

struct GoldenTensor {
    std::unique_ptr<qb::GgufFile> file;
    const qb::GgufTensorInfo *info = nullptr;
};

GoldenTensor goldenTensor(const std::string &model, const std::string &name) {
    GoldenTensor t;
    t.file = qb::GgufFile::open(qbtest::golden("models/" + model));
    t.info = t.file->findTensor(name);
    return t;
}

qb::TensorAnalysisRequest requestFor(const GoldenTensor &t, qb::GgmlType candidate, qb::AnalysisMode mode) {
    qb::TensorAnalysisRequest r;
    r.sourceType = t.info->type;
    r.sourceData = t.file->tensorData(*t.info);
    r.rows = t.info->rows();
    r.rowLength = t.info->rowLength();
    r.rowsPerMatrix = t.info->ne[1];
    r.candidate = candidate;
    r.mode = mode;
    r.threads = 2;
    return r;
}

qb::GgmlType typeNamed(const char *name) { return *qb::typeFromName(name); }

} // namespace

class TestAnalysis : public QObject {
    Q_OBJECT
private slots:
    void metricsMatchIndependentComputation_data();
    void metricsMatchIndependentComputation();
    void histogramsAccountForEveryValue();
    void histogramRangeAndBins();
    void errorFallsAsBitsRise_data();
    void errorFallsAsBitsRise();
    void importanceLowersWeightedError();
    void previewIsCloseToExact_data();
    void previewIsCloseToExact();
    void resultsDoNotDependOnThreads();
    void cancellationStops();
    void cacheKeysSeparateImportance();
};

void TestAnalysis::metricsMatchIndependentComputation_data() {
    QTest::addColumn<QString>("type");
    for (const char *t : {"BF16", "F16", "Q8_0", "Q4_K", "Q2_K"}) QTest::newRow(t) << QString::fromLatin1(t);
}

void TestAnalysis::metricsMatchIndependentComputation() {
    QFETCH(QString, type);
    const qb::GgmlType candidate = typeNamed(type.toLatin1().constData());
    const GoldenTensor t = goldenTensor("llama256.bf16.gguf", "blk.1.ffn_down.weight");
    QVERIFY(t.info);
    const qb::TensorAnalysis a = qb::analyzeTensor(requestFor(t, candidate, qb::AnalysisMode::Exact));

    // Independent: decode the whole tensor, round-trip it, sum in long double.
    const int64_t rows = t.info->rows(), n = t.info->rowLength();
    const std::vector<float> w = qbtest::tensorAsF32(*t.file, t.info->name);
    std::vector<uint8_t> q(static_cast<size_t>(rows * qb::rowSizeBytes(candidate, n)));
    std::vector<float> r(w.size());
    qb::quantizeRows(candidate, w.data(), q.data(), rows, n, nullptr, 1);
    qb::dequantizeRows(candidate, q.data(), r.data(), rows, n, 1);
    long double se = 0, sw = 0, sr = 0, sx = 0, maxe = 0;
    for (size_t i = 0; i < w.size(); ++i) {
        const long double e = (long double)r[i] - w[i];
        se += e * e;
        sw += (long double)w[i] * w[i];
        sr += (long double)r[i] * r[i];
        sx += (long double)w[i] * r[i];
        maxe = std::max(maxe, std::fabs(e));
    }
    const double rmse = double(std::sqrt(se / w.size()));
    auto close = [](double x, double y) { return std::abs(x - y) <= 1e-9 * std::max(1.0, std::abs(y)); };
    QCOMPARE(a.metrics.elements, int64_t(w.size()));
    QVERIFY2(close(a.metrics.rmse, rmse), qPrintable(QString::number(a.metrics.rmse - rmse)));
    QVERIFY(close(a.metrics.maxAbsError, double(maxe)));
    QVERIFY(close(a.metrics.relativeRmse, double(std::sqrt(se / sw))));
    QVERIFY(close(a.metrics.cosine, double(sx / std::sqrt(sw * sr))));
    if (se > 0) QVERIFY(close(a.metrics.snrDb, double(10 * std::log10(sw / se))));
    else QVERIFY(std::isinf(a.metrics.snrDb));
    QCOMPARE(a.quantizedBytes, uint64_t(q.size()));
    QCOMPARE(int64_t(a.rowRmse.size()), rows);
}

void TestAnalysis::histogramsAccountForEveryValue() {
    const GoldenTensor t = goldenTensor("tiny.f16.gguf", "blk.0.ffn_up.weight");
    auto req = requestFor(t, typeNamed("Q4_0"), qb::AnalysisMode::Exact);
    req.weightBins.bins = 50;
    req.errorBins.bins = 33;
    const qb::TensorAnalysis a = qb::analyzeTensor(req);
    const uint64_t n = uint64_t(t.info->elements());
    QCOMPARE(a.weights.total(), n);
    QCOMPARE(a.error.total(), n);
    QCOMPARE(a.relativeError.total(), n);
    QCOMPARE(int(a.weights.counts.size()), 50);
    QCOMPARE(int(a.error.counts.size()), 33);
    // Automatic ranges hold every value.
    QCOMPARE(a.weights.underflow + a.weights.overflow + a.error.underflow + a.error.overflow, uint64_t(0));
}

void TestAnalysis::histogramRangeAndBins() {
    const float v[] = {-2.0f, -1.0f, -0.5f, 0.0f, 0.25f, 0.5f, 0.99f, 1.0f, 3.0f, std::nanf("")};
    qb::HistogramSpec spec;
    spec.bins = 4;
    spec.lo = -1.0;
    spec.hi = 1.0;
    const qb::Histogram h = qb::makeHistogram(v, 10, spec);
    QCOMPARE(h.underflow, uint64_t(1));  // -2
    QCOMPARE(h.overflow, uint64_t(2));   // 1.0 (hi is exclusive), 3
    QCOMPARE(h.nan, uint64_t(1));
    QCOMPARE(h.counts, (std::vector<uint64_t>{1, 1, 2, 2}));  // [-1,-.5) [-.5,0) [0,.5) [.5,1)
    QCOMPARE(h.binCenter(0), -0.75);
    spec.lo = 1.0;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, qb::makeHistogram(v, 10, spec));
}

void TestAnalysis::errorFallsAsBitsRise_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("tensor");
    QTest::newRow("tiny ffn_up") << "tiny.f16.gguf" << "blk.0.ffn_up.weight";
    QTest::newRow("tiny attn_q") << "tiny.f16.gguf" << "blk.1.attn_q.weight";
    QTest::newRow("llama256 ffn_down") << "llama256.f16.gguf" << "blk.3.ffn_down.weight";
    QTest::newRow("bf16 output") << "llama256.bf16.gguf" << "output.weight";
}

void TestAnalysis::errorFallsAsBitsRise() {
    QFETCH(QString, model);
    QFETCH(QString, tensor);
    const GoldenTensor t = goldenTensor(model.toStdString(), tensor.toStdString());
    QVERIFY(t.info);
    double previous = INFINITY;
    for (const char *type : {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_0"}) {
        const double rmse = qb::analyzeTensor(requestFor(t, typeNamed(type), qb::AnalysisMode::Exact)).metrics.rmse;
        QVERIFY2(rmse < previous, type);
        previous = rmse;
    }
}

void TestAnalysis::importanceLowersWeightedError() {
    const GoldenTensor t = goldenTensor("llama256.f16.gguf", "blk.2.ffn_gate.weight");
    const auto im = qb::ImportanceMatrix::load(qbtest::golden("imatrix/llama256.f16.imatrix.dat"));
    const std::vector<float> *imp = im.find("blk.2.ffn_gate.weight");
    QVERIFY(imp);
    for (const char *type : {"Q4_0", "Q3_K", "Q4_K", "IQ4_XS"}) {
        // Plain quantization, measured with importance weights...
        auto plain = requestFor(t, typeNamed(type), qb::AnalysisMode::Exact);
        auto weighted = plain;
        weighted.importance = *imp;
        const qb::TensorAnalysis withImp = qb::analyzeTensor(weighted);
        // ...against the importance-aware quantization: its weighted error must be lower.
        std::vector<float> w = qbtest::tensorAsF32(*t.file, t.info->name);
        const int64_t rows = t.info->rows(), n = t.info->rowLength();
        std::vector<uint8_t> q(static_cast<size_t>(rows * qb::rowSizeBytes(typeNamed(type), n)));
        std::vector<float> r(w.size());
        qb::quantizeRows(typeNamed(type), w.data(), q.data(), rows, n, nullptr, 2);
        qb::dequantizeRows(typeNamed(type), q.data(), r.data(), rows, n, 2);
        std::vector<qb::RowErrorSums> sums;
        for (int64_t i = 0; i < rows; ++i) sums.push_back(qb::rowErrorSums(&w[size_t(i * n)], &r[size_t(i * n)], n, imp->data()));
        const qb::ErrorMetrics plainMetrics = qb::combineRows(sums, n, true);
        QVERIFY(withImp.metrics.weighted);
        QVERIFY2(withImp.metrics.weightedRmse < plainMetrics.weightedRmse, type);
        QVERIFY2(withImp.metrics.weightedRelative < plainMetrics.weightedRelative, type);
    }
}

void TestAnalysis::previewIsCloseToExact_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("tensor");
    QTest::addColumn<QString>("type");
    QTest::newRow("llama256 token_embd Q4_K") << "llama256.f16.gguf" << "token_embd.weight" << "Q4_K";
    QTest::newRow("llama256 output Q6_K") << "llama256.f16.gguf" << "output.weight" << "Q6_K";
    QTest::newRow("llama256 ffn_down Q2_K") << "llama256.f16.gguf" << "blk.0.ffn_down.weight" << "Q2_K";
    QTest::newRow("llama288 ffn_up Q8_0") << "llama288.f32.gguf" << "blk.1.ffn_up.weight" << "Q8_0";
    QTest::newRow("llama256 ffn_up IQ3_S") << "llama256.f16.gguf" << "blk.5.ffn_up.weight" << "IQ3_S";
}

// Stated tolerance: a preview's RMSE and relative RMSE are within 10 % of the exact values.
void TestAnalysis::previewIsCloseToExact() {
    QFETCH(QString, model);
    QFETCH(QString, tensor);
    QFETCH(QString, type);
    const GoldenTensor t = goldenTensor(model.toStdString(), tensor.toStdString());
    QVERIFY(t.info);
    const qb::GgmlType c = typeNamed(type.toLatin1().constData());
    const auto preview = qb::analyzeTensor(requestFor(t, c, qb::AnalysisMode::Preview));
    const auto exact = qb::analyzeTensor(requestFor(t, c, qb::AnalysisMode::Exact));
    QVERIFY(preview.rowIndices.size() < exact.rowIndices.size());
    QCOMPARE(preview.quantizedBytes, exact.quantizedBytes);
    QVERIFY2(std::abs(preview.metrics.rmse / exact.metrics.rmse - 1) < 0.10,
             qPrintable(QStringLiteral("%1 vs %2").arg(preview.metrics.rmse).arg(exact.metrics.rmse)));
    QVERIFY(std::abs(preview.metrics.relativeRmse / exact.metrics.relativeRmse - 1) < 0.10);
}

void TestAnalysis::resultsDoNotDependOnThreads() {
    const GoldenTensor t = goldenTensor("llama256.f16.gguf", "blk.4.attn_output.weight");
    auto req = requestFor(t, typeNamed("Q5_K"), qb::AnalysisMode::Exact);
    req.threads = 1;
    const auto one = qb::analyzeTensor(req);
    req.threads = 3;
    const auto three = qb::analyzeTensor(req);
    QCOMPARE(one.metrics.rmse, three.metrics.rmse);
    QCOMPARE(one.metrics.cosine, three.metrics.cosine);
    QCOMPARE(one.error.counts, three.error.counts);
    QCOMPARE(one.rowRmse, three.rowRmse);
}

void TestAnalysis::cancellationStops() {
    const GoldenTensor t = goldenTensor("llama256.f16.gguf", "token_embd.weight");
    std::atomic<bool> cancel{false};
    auto req = requestFor(t, typeNamed("Q4_K"), qb::AnalysisMode::Exact);
    req.cancel = &cancel;
    int calls = 0;
    req.progress = [&](double) { ++calls; cancel = true; };
    try {
        qb::analyzeTensor(req);
        QFAIL("expected cancellation");
    } catch (const qb::Error &e) {
        QCOMPARE(e.kind(), qb::ErrorKind::Cancelled);
    }
    QCOMPARE(calls, 1);
}

void TestAnalysis::cacheKeysSeparateImportance() {
    qb::AnalysisCache cache;
    const std::vector<float> a{1, 2, 3}, b{1, 2, 4};
    QVERIFY(qb::importanceFingerprint(a) != qb::importanceFingerprint(b));
    QCOMPARE(qb::importanceFingerprint({}), uint64_t(0));
    qb::AnalysisKey key{"t", qb::GgmlType::Q4_K, qb::importanceFingerprint(a), qb::AnalysisMode::Preview, 64};
    cache.insert(key, std::make_shared<qb::TensorAnalysis>());
    QVERIFY(cache.find(key));
    key.importanceFingerprint = qb::importanceFingerprint(b);
    QVERIFY(!cache.find(key));
    key.importanceFingerprint = qb::importanceFingerprint(a);
    auto exact = std::make_shared<qb::TensorAnalysis>();
    exact->mode = qb::AnalysisMode::Exact;
    key.mode = qb::AnalysisMode::Exact;
    cache.insert(key, exact);
    key.mode = qb::AnalysisMode::Preview;
    QCOMPARE(cache.findBest(key).get(), exact.get());
}

QTEST_GUILESS_MAIN(TestAnalysis)
#include "tst_analysis.moc"
