// The error analysis engine on the golden models: every metric, histogram and the per-row
// profile against a straightforward independent computation on dequantized data, error ordering
// across bit widths for every quantizable tensor, the benefit of importance data, preview against
// exact (stated tolerance below), cancellation, progress and thread independence.
//
// Every test is a function-try-block: an exception (a missing kernel, a bad file) is reported as
// that test's failure, never as an abort of the whole executable.
#include "golden.h"
#include "synthetic_weights.h"

#include "analysis/analysis_cache.h"
#include "analysis/tensor_analyzer.h"
#include "error.h"
#include "float_convert.h"
#include "imatrix/importance_matrix.h"
#include "kernels/kernels.h"

#include <QtTest>

#include <cmath>
#include <map>
#include <set>

namespace {

struct GoldenTensor {
    std::unique_ptr<qb::GgufFile> file;
    const qb::GgufTensorInfo *info = nullptr;
};

GoldenTensor goldenTensor(const std::string &model, const std::string &name) {
    GoldenTensor t;
    t.file = qb::GgufFile::open(qbtest::golden("models/" + model));
    t.info = t.file->findTensor(name);
    if (!t.info) throw std::runtime_error("no tensor " + name + " in " + model);
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

qb::GgmlType typeNamed(const std::string &name) {
    const auto t = qb::typeFromName(name);
    if (!t) throw std::runtime_error("unknown type " + name);
    return *t;
}

// The analysis's own kernels produce the reconstruction; everything after that is recomputed here.
std::vector<float> roundTrip(qb::GgmlType type, const std::vector<float> &w, int64_t rows, int64_t n,
                             const float *importance) {
    std::vector<uint8_t> q(size_t(rows * qb::rowSizeBytes(type, n)));
    std::vector<float> r(w.size());
    qb::quantizeRows(type, w.data(), q.data(), rows, n, importance, 1);
    qb::dequantizeRows(type, q.data(), r.data(), rows, n, 1);
    return r;
}

// Straightforward histogram: bin = floor((v - lo) / width), [lo, hi) half-open.
std::vector<uint64_t> countBins(const std::vector<double> &values, double lo, double hi, int bins, uint64_t &under,
                                uint64_t &over) {
    std::vector<uint64_t> counts(size_t(bins), 0);
    under = over = 0;
    for (double v : values) {
        if (v < lo) ++under;
        else if (v >= hi) ++over;
        else counts[std::min(size_t(bins) - 1, size_t(std::floor((v - lo) / (hi - lo) * bins)))]++;
    }
    return counts;
}

bool close(double x, double y, double rel = 1e-9) { return std::abs(x - y) <= rel * std::max(1e-30, std::abs(y)); }

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
    void importanceLowersWeightedError_data();
    void importanceLowersWeightedError();
    void previewIsCloseToExact_data();
    void previewIsCloseToExact();
    void previewIsCloseToExactAtDefaultBudgets_data();
    void previewIsCloseToExactAtDefaultBudgets();
    void previewSampleIsDeterministicAndSpread();
    void resultsDoNotDependOnThreads();
    void progressAndCancellation();
    void badRequestsAreRefused();
    void cacheKeysSeparateImportance();
};

void TestAnalysis::metricsMatchIndependentComputation_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("imatrix");
    QTest::addColumn<QString>("tensor");
    QTest::addColumn<QString>("type");
    QTest::addColumn<bool>("preview");
    for (const char *t : {"BF16", "F16", "Q8_0", "Q4_K", "Q2_K", "Q5_1"})
        QTest::addRow("bf16 ffn_down %s", t) << "llama256.bf16.gguf" << "" << "blk.1.ffn_down.weight" << t << false;
    for (const char *t : {"Q6_K", "Q3_K", "IQ4_XS", "IQ3_XXS", "IQ2_XXS", "IQ1_M", "Q4_0"})
        QTest::addRow("f16 imatrix attn_v %s", t)
            << "llama256.f16.gguf" << "llama256.f16.imatrix.dat" << "blk.3.attn_v.weight" << t << false;
    QTest::newRow("f32 288 IQ4_NL imatrix") << "llama288.f32.gguf" << "llama288.f32.imatrix.dat"
                                            << "blk.0.ffn_up.weight" << "IQ4_NL" << false;
    QTest::newRow("preview sample Q4_K") << "llama256.f16.gguf" << "llama256.f16.imatrix.dat" << "token_embd.weight"
                                         << "Q4_K" << true;
    QTest::newRow("preview sample IQ3_S imatrix")
        << "llama256.f16.gguf" << "llama256.f16.imatrix.dat" << "blk.6.ffn_gate.weight" << "IQ3_S" << true;
    // 768-wide rows: the 2^15 budget holds 42 whole rows, so the preview takes one block of 128 rows.
    QTest::newRow("preview segments IQ2_XXS imatrix")
        << "llama256.f16.gguf" << "llama256.f16.imatrix.dat" << "blk.2.ffn_down.weight" << "IQ2_XXS" << true;
    QTest::newRow("preview segments Q4_0 imatrix")
        << "llama256.f16.gguf" << "llama256.f16.imatrix.dat" << "blk.5.ffn_down.weight" << "Q4_0" << true;
}

void TestAnalysis::metricsMatchIndependentComputation() try {
    QFETCH(QString, model);
    QFETCH(QString, imatrix);
    QFETCH(QString, tensor);
    QFETCH(QString, type);
    QFETCH(bool, preview);
    const qb::GgmlType candidate = typeNamed(type.toStdString());
    const GoldenTensor t = goldenTensor(model.toStdString(), tensor.toStdString());
    std::optional<qb::ImportanceMatrix> im;
    const std::vector<float> *imp = nullptr;
    if (!imatrix.isEmpty()) {
        im = qb::ImportanceMatrix::load(qbtest::golden("imatrix/" + imatrix.toStdString()));
        imp = im->find(tensor.toStdString());  // token_embd has none: the metrics are unweighted
    }
    auto req = requestFor(t, candidate, preview ? qb::AnalysisMode::Preview : qb::AnalysisMode::Exact);
    if (preview) req.previewElements = 1 << 15;
    if (imp) req.importance = *imp;
    // Caller-chosen bins and ranges, narrow enough that under- and overflow occur.
    req.weightBins = {40, -0.03, 0.03};
    req.relativeErrorBins = {30, -0.2, 0.25};
    const qb::TensorAnalysis a = qb::analyzeTensor(req);

    // Independent: decode the rows (or row segments) analysed, round-trip each, sum in long double.
    const int64_t rowLength = t.info->rowLength();
    const std::vector<float> all = qbtest::tensorAsF32(*t.file, t.info->name);
    const int64_t rows = int64_t(a.rowIndices.size());
    const qb::PreviewSample sample =
        preview ? qb::previewSample(candidate, t.info->type, t.info->rows(), rowLength, 1 << 15, imp != nullptr)
                : qb::PreviewSample{t.info->rows(), rowLength};
    QCOMPARE(rows, sample.rows);
    QCOMPARE(a.sampledLength, sample.length);
    QCOMPARE(a.rowOffsets.size(), size_t(rows));
    const int64_t n = a.sampledLength;
    std::vector<float> w(size_t(rows * n)), r(size_t(rows * n));
    for (int64_t i = 0; i < rows; ++i) {
        const int64_t offset = a.rowOffsets[size_t(i)];
        QVERIFY(offset >= 0 && offset + n <= rowLength && offset % qb::typeTraits(candidate).blockSize == 0);
        const std::vector<float> segment(all.begin() + a.rowIndices[size_t(i)] * rowLength + offset,
                                         all.begin() + a.rowIndices[size_t(i)] * rowLength + offset + n);
        const std::vector<float> back = roundTrip(candidate, segment, 1, n, imp ? imp->data() + offset : nullptr);
        std::copy(segment.begin(), segment.end(), w.begin() + i * n);
        std::copy(back.begin(), back.end(), r.begin() + i * n);
    }

    long double se = 0, sw = 0, sr = 0, sx = 0, maxe = 0, wse = 0, wsw = 0, wsum = 0;
    std::vector<double> weights, errors, rowRmse;
    for (int64_t i = 0; i < rows; ++i) {
        long double rowSe = 0;
        for (int64_t j = 0; j < n; ++j) {
            const size_t k = size_t(i * n + j);
            const long double e = (long double)r[k] - w[k];
            se += e * e;
            rowSe += e * e;
            sw += (long double)w[k] * w[k];
            sr += (long double)r[k] * r[k];
            sx += (long double)w[k] * r[k];
            maxe = std::max(maxe, std::fabs(e));
            if (imp) {
                const long double c = (*imp)[size_t(a.rowOffsets[size_t(i)] + j)];
                wse += c * e * e;
                wsw += c * w[k] * w[k];
                wsum += c;
            }
            weights.push_back(w[k]);
            errors.push_back(double(r[k] - w[k]));
        }
        rowRmse.push_back(double(std::sqrt(rowSe / n)));
    }
    const double count = double(w.size());
    QCOMPARE(a.metrics.elements, int64_t(w.size()));
    QVERIFY2(close(a.metrics.rmse, double(std::sqrt(se / count))), qPrintable(QString::number(a.metrics.rmse)));
    QVERIFY(close(a.metrics.maxAbsError, double(maxe)));
    QVERIFY(close(a.metrics.relativeRmse, double(std::sqrt(se / sw))));
    QVERIFY(close(a.metrics.cosine, double(sx / std::sqrt(sw * sr))));
    if (se > 0) QVERIFY(close(a.metrics.snrDb, double(10 * std::log10(sw / se))));
    else QVERIFY(std::isinf(a.metrics.snrDb) && a.metrics.snrDb > 0);
    QCOMPARE(a.metrics.weighted, imp != nullptr);
    if (imp) {
        QVERIFY(close(a.metrics.weightedRmse, double(std::sqrt(wse / wsum))));
        QVERIFY(close(a.metrics.weightedRelative, double(std::sqrt(wse / wsw))));
    }
    QCOMPARE(a.quantizedBytes, uint64_t(t.info->rows()) * uint64_t(qb::rowSizeBytes(candidate, rowLength)));

    // Per-row error profile.
    QCOMPARE(a.rowRmse.size(), rowRmse.size());
    for (size_t i = 0; i < rowRmse.size(); ++i) QVERIFY2(close(a.rowRmse[i], rowRmse[i]), qPrintable(QString::number(i)));

    // Histograms: caller-chosen ranges for weights and relative error, automatic for the error.
    uint64_t under = 0, over = 0;
    QCOMPARE(a.weights.counts, countBins(weights, -0.03, 0.03, 40, under, over));
    QCOMPARE(a.weights.underflow, under);
    QCOMPARE(a.weights.overflow, over);
    QVERIFY(under + over > 0);  // the narrow range really cut values off
    const double emin = *std::min_element(errors.begin(), errors.end());
    const double emax = *std::max_element(errors.begin(), errors.end());
    if (emax > emin) {
        QCOMPARE(a.error.lo, emin);
        QCOMPARE(a.error.hi, std::nextafter(emax, INFINITY));
    }
    QCOMPARE(a.error.counts, countBins(errors, a.error.lo, a.error.hi, 64, under, over));
    QCOMPARE(under + over, uint64_t(0));
    const double rms = double(std::sqrt(sw / count));
    std::vector<double> relative;
    for (double e : errors) relative.push_back(double(float(e / rms)));
    const auto relCounts = countBins(relative, -0.2, 0.25, 30, under, over);
    // rms is summed in another order than the analysis sums it: allow a value on a bin edge to move.
    uint64_t moved = 0;
    for (size_t i = 0; i < relCounts.size(); ++i)
        moved += uint64_t(std::llabs(int64_t(relCounts[i]) - int64_t(a.relativeError.counts[i])));
    QVERIFY2(moved <= 2, qPrintable(QString::number(moved)));
    QCOMPARE(a.relativeError.total(), uint64_t(w.size()));
} catch (const std::exception &e) {
    QFAIL(e.what());
}

void TestAnalysis::histogramsAccountForEveryValue() try {
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
} catch (const std::exception &e) {
    QFAIL(e.what());
}

void TestAnalysis::histogramRangeAndBins() try {
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
    spec = {};
    spec.bins = 0;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, qb::makeHistogram(v, 10, spec));
} catch (const std::exception &e) {
    QFAIL(e.what());
}

// Every tensor of the golden models whose rows (ne[0]) K-quants can hold (2-D, row length a
// multiple of 256). In llama288 only the four ffn_down qualify: their rows are n_ff = 768 = 3 x 256
// long, while every other matrix has 288-long rows; stories260K (rows of 64 and 172) has none.
void TestAnalysis::errorFallsAsBitsRise_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("expected");  // how many tensors qualify
    QTest::newRow("tiny.f16.gguf") << "tiny.f16.gguf" << 16;
    QTest::newRow("llama256.f16.gguf") << "llama256.f16.gguf" << 58;
    QTest::newRow("llama256.bf16.gguf") << "llama256.bf16.gguf" << 16;
    QTest::newRow("llama288.f32.gguf") << "llama288.f32.gguf" << 4;
}

void TestAnalysis::errorFallsAsBitsRise() try {
    QFETCH(QString, model);
    QFETCH(int, expected);
    const auto file = qb::GgufFile::open(qbtest::golden("models/" + model.toStdString()));
    int checked = 0;
    for (const qb::GgufTensorInfo &info : file->tensors()) {
        if (info.nDims < 2 || info.rowLength() % 256 != 0) continue;
        GoldenTensor t;
        t.info = &info;
        qb::TensorAnalysisRequest req;
        req.sourceType = info.type;
        req.sourceData = file->tensorData(info);
        req.rows = info.rows();
        req.rowLength = info.rowLength();
        req.mode = qb::AnalysisMode::Exact;
        req.threads = 2;
        double previous = INFINITY;
        for (const char *type : {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_0"}) {
            req.candidate = typeNamed(type);
            const double rmse = qb::analyzeTensor(req).metrics.rmse;
            QVERIFY2(rmse < previous, qPrintable(QString::fromStdString(info.name) + QStringLiteral(" ") +
                                                 QString::fromLatin1(type)));
            previous = rmse;
        }
        ++checked;
    }
    QCOMPARE(checked, expected);
} catch (const std::exception &e) {
    QFAIL(e.what());
}

void TestAnalysis::importanceLowersWeightedError_data() {
    QTest::addColumn<QString>("type");
    for (const char *t : {"Q4_0", "Q4_1", "Q5_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_XS", "IQ4_NL", "IQ3_S"})
        QTest::newRow(t) << t;
}

// For every tensor with importance data in two layers of llama256: quantized with the importance
// vector, its importance-weighted error is lower than the plain quantization's, measured alike.
void TestAnalysis::importanceLowersWeightedError() try {
    QFETCH(QString, type);
    const qb::GgmlType candidate = typeNamed(type.toStdString());
    const auto file = qb::GgufFile::open(qbtest::golden("models/llama256.f16.gguf"));
    const auto im = qb::ImportanceMatrix::load(qbtest::golden("imatrix/llama256.f16.imatrix.dat"));
    int checked = 0;
    for (const qb::GgufTensorInfo &info : file->tensors()) {
        if (info.name.rfind("blk.2.", 0) != 0 && info.name.rfind("blk.7.", 0) != 0) continue;
        const std::vector<float> *imp = im.find(info.name);
        if (!imp || info.nDims < 2) continue;
        qb::TensorAnalysisRequest req;
        req.sourceType = info.type;
        req.sourceData = file->tensorData(info);
        req.rows = info.rows();
        req.rowLength = info.rowLength();
        req.candidate = candidate;
        req.mode = qb::AnalysisMode::Exact;
        req.threads = 2;
        req.importance = *imp;
        const qb::TensorAnalysis withImp = qb::analyzeTensor(req);
        // The plain quantization, measured with the same importance weights.
        const std::vector<float> w = qbtest::tensorAsF32(*file, info.name);
        const std::vector<float> r = roundTrip(candidate, w, info.rows(), info.rowLength(), nullptr);
        std::vector<qb::RowErrorSums> sums;
        for (int64_t i = 0; i < info.rows(); ++i)
            sums.push_back(qb::rowErrorSums(&w[size_t(i * info.rowLength())], &r[size_t(i * info.rowLength())],
                                            info.rowLength(), imp->data()));
        const qb::ErrorMetrics plain = qb::combineRows(sums, info.rowLength(), true);
        QVERIFY(withImp.metrics.weighted);
        QVERIFY2(withImp.metrics.weightedRmse < plain.weightedRmse, info.name.c_str());
        QVERIFY2(withImp.metrics.weightedRelative < plain.weightedRelative, info.name.c_str());
        ++checked;
    }
    QCOMPARE(checked, 14);
} catch (const std::exception &e) {
    QFAIL(e.what());
}

void TestAnalysis::previewIsCloseToExact_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("tensor");
    QTest::addColumn<QString>("type");
    QTest::newRow("llama256 token_embd Q4_K") << "llama256.f16.gguf" << "token_embd.weight" << "Q4_K";
    QTest::newRow("llama256 output Q6_K") << "llama256.f16.gguf" << "output.weight" << "Q6_K";
    QTest::newRow("llama256 ffn_down Q2_K") << "llama256.f16.gguf" << "blk.0.ffn_down.weight" << "Q2_K";
    QTest::newRow("llama256 ffn_gate Q3_K") << "llama256.f16.gguf" << "blk.4.ffn_gate.weight" << "Q3_K";
    QTest::newRow("llama288 ffn_up Q8_0") << "llama288.f32.gguf" << "blk.1.ffn_up.weight" << "Q8_0";
    QTest::newRow("llama288 ffn_down Q4_0") << "llama288.f32.gguf" << "blk.2.ffn_down.weight" << "Q4_0";
    QTest::newRow("llama256 ffn_up IQ3_S") << "llama256.f16.gguf" << "blk.5.ffn_up.weight" << "IQ3_S";
    QTest::newRow("llama256 ffn_gate IQ4_XS") << "llama256.f16.gguf" << "blk.6.ffn_gate.weight" << "IQ4_XS";
    QTest::newRow("bf16 output Q5_K") << "llama256.bf16.gguf" << "output.weight" << "Q5_K";
    QTest::newRow("llama256 ffn_up Q4_1") << "llama256.f16.gguf" << "blk.3.ffn_up.weight" << "Q4_1";
    QTest::newRow("llama288 ffn_gate Q5_1") << "llama288.f32.gguf" << "blk.0.ffn_gate.weight" << "Q5_1";
}

// STATED TOLERANCE. The golden tensors (at most 262 144 elements) are smaller than most default
// preview budgets, so the preview here is forced to the smallest default budget, 2^15 elements
// (128 whole rows of 256; 128 one-block segments of 768-wide rows for K-quants; 256 segments of
// 128 columns of llama288's rows for the 32-element types). On such a sample: RMSE, relative
// RMSE and importance-weighted relative error within 10 % of the exact values, SNR within 1 dB,
// 1 - cosine within 20 % of the exact 1 - cosine (it goes with the square of the relative error),
// maximum absolute error never above the exact one (a sample's maximum is one of the tensor's).
void TestAnalysis::previewIsCloseToExact() try {
    QFETCH(QString, model);
    QFETCH(QString, tensor);
    QFETCH(QString, type);
    const GoldenTensor t = goldenTensor(model.toStdString(), tensor.toStdString());
    const qb::GgmlType c = typeNamed(type.toStdString());
    auto req = requestFor(t, c, qb::AnalysisMode::Preview);
    req.previewElements = 1 << 15;
    const auto preview = qb::analyzeTensor(req);
    req.mode = qb::AnalysisMode::Exact;
    const auto exact = qb::analyzeTensor(req);
    QVERIFY(preview.metrics.elements * 4 <= exact.metrics.elements);
    QCOMPARE(preview.quantizedBytes, exact.quantizedBytes);
    const auto msg = [&](double p, double e) { return qPrintable(QStringLiteral("preview %1, exact %2").arg(p).arg(e)); };
    QVERIFY2(std::abs(preview.metrics.rmse / exact.metrics.rmse - 1) < 0.10, msg(preview.metrics.rmse, exact.metrics.rmse));
    QVERIFY2(std::abs(preview.metrics.relativeRmse / exact.metrics.relativeRmse - 1) < 0.10,
             msg(preview.metrics.relativeRmse, exact.metrics.relativeRmse));
    QVERIFY2(std::abs(preview.metrics.snrDb - exact.metrics.snrDb) < 1.0, msg(preview.metrics.snrDb, exact.metrics.snrDb));
    QVERIFY2(std::abs((1 - preview.metrics.cosine) / (1 - exact.metrics.cosine) - 1) < 0.20,
             msg(preview.metrics.cosine, exact.metrics.cosine));
    QVERIFY(preview.metrics.maxAbsError <= exact.metrics.maxAbsError);

    // With importance data too (llama288 has its own matrix).
    const std::string imName = model.startsWith(QLatin1String("llama288")) ? "llama288.f32.imatrix.dat"
                               : model.contains(QLatin1String("bf16"))      ? "llama256.bf16.imatrix.dat"
                                                                            : "llama256.f16.imatrix.dat";
    const auto im = qb::ImportanceMatrix::load(qbtest::golden("imatrix/" + imName));
    if (const std::vector<float> *imp = im.find(tensor.toStdString())) {
        req.importance = *imp;
        const auto we = qb::analyzeTensor(req);
        req.mode = qb::AnalysisMode::Preview;
        const auto wp = qb::analyzeTensor(req);
        QVERIFY2(std::abs(wp.metrics.weightedRelative / we.metrics.weightedRelative - 1) < 0.10,
                 msg(wp.metrics.weightedRelative, we.metrics.weightedRelative));
    }
} catch (const std::exception &e) {
    QFAIL(e.what());
}

void TestAnalysis::previewIsCloseToExactAtDefaultBudgets_data() {
    QTest::addColumn<QString>("type");
    QTest::addColumn<bool>("weighted");
    QTest::addColumn<int>("seed");
    for (int seed = 1; seed <= 3; ++seed) {
        QTest::addRow("Q4_K seed %d", seed) << "Q4_K" << false << seed;
        // Its weighted search scales by statistics of the whole row: segments change them a little.
        QTest::addRow("Q3_K imatrix seed %d", seed) << "Q3_K" << true << seed;
        QTest::addRow("IQ4_XS seed %d", seed) << "IQ4_XS" << false << seed;
        QTest::addRow("IQ2_XXS imatrix seed %d", seed) << "IQ2_XXS" << true << seed;
    }
}

// STATED TOLERANCE at the default budgets, on a tensor large enough that previews are samples:
// three tensors of 256 rows of 6144 F16 values (1.6 M each) whose row scales spread over 4x. The
// same bounds as above: RMSE, relative RMSE and importance-weighted relative error within 10 % of
// exact, SNR within 1 dB. (A preview of a few whole rows, as IQ2 types once got, misses the RMSE
// bound on some of these tensors: the row scales it happens to draw decide its RMSE.)
void TestAnalysis::previewIsCloseToExactAtDefaultBudgets() try {
    QFETCH(QString, type);
    QFETCH(bool, weighted);
    QFETCH(int, seed);
    constexpr int64_t kRows = 256, kCols = 6144;
    static std::map<int, std::vector<uint16_t>> tensors;
    std::vector<uint16_t> &data = tensors[seed];
    if (data.empty()) {
        data.resize(size_t(kRows * kCols));
        for (int64_t r = 0; r < kRows; ++r) qbtest::fillRow(data.data() + r * kCols, kCols, uint64_t(seed) << 32 | uint64_t(r));
    }
    static const std::vector<float> importance = [] {
        std::vector<float> v(static_cast<size_t>(kCols));
        uint64_t s = 5;
        for (float &x : v) x = float(-std::log((double((s = qbtest::mix64(s)) >> 11) + 0.5) * 0x1.0p-53));  // exponential
        return v;
    }();
    qb::TensorAnalysisRequest req;
    req.sourceType = qb::GgmlType::F16;
    req.sourceData = {reinterpret_cast<const uint8_t *>(data.data()), data.size() * 2};
    req.rows = kRows;
    req.rowLength = kCols;
    req.candidate = typeNamed(type.toStdString());
    if (weighted) req.importance = importance;
    req.histograms = false;
    req.threads = 2;
    req.mode = qb::AnalysisMode::Preview;
    const auto preview = qb::analyzeTensor(req);
    req.mode = qb::AnalysisMode::Exact;
    const auto exact = qb::analyzeTensor(req);
    QVERIFY(preview.metrics.elements * 3 <= exact.metrics.elements);  // really a sample
    const auto msg = [&](double p, double e) { return qPrintable(QStringLiteral("preview %1, exact %2").arg(p).arg(e)); };
    const qb::ErrorMetrics &p = preview.metrics, &e = exact.metrics;
    QVERIFY2(std::abs(p.rmse / e.rmse - 1) < 0.10, msg(p.rmse, e.rmse));
    QVERIFY2(std::abs(p.relativeRmse / e.relativeRmse - 1) < 0.10, msg(p.relativeRmse, e.relativeRmse));
    QVERIFY2(std::abs(p.snrDb - e.snrDb) < 1.0, msg(p.snrDb, e.snrDb));
    if (weighted)
        QVERIFY2(std::abs(p.weightedRelative / e.weightedRelative - 1) < 0.10, msg(p.weightedRelative, e.weightedRelative));
} catch (const std::exception &e) {
    QFAIL(e.what());
}

void TestAnalysis::previewSampleIsDeterministicAndSpread() try {
    using qb::GgmlType;
    const auto sampleOf = [](GgmlType type, int64_t rows, int64_t cols, int64_t budget = 0, bool weighted = false) {
        return qb::previewSample(type, GgmlType::F16, rows, cols, budget, weighted);
    };
    // A 50 M-element tensor: 8192 rows of 6144. Every type samples at least 128 rows (256 where its
    // budget holds 256 blocks), segments of whole blocks, within its budget.
    for (const char *type : {"Q8_0", "Q4_K", "Q2_K", "IQ3_S", "IQ2_XXS", "IQ1_M", "Q5_1"}) {
        const qb::PreviewSample p = sampleOf(typeNamed(type), 8192, 6144);
        QVERIFY2(p.rows >= 128 && p.rows <= qb::kMinPreviewRows, type);
        QVERIFY2(p.length < 6144 && p.length % qb::typeTraits(typeNamed(type)).blockSize == 0, type);
        QVERIFY2(p.rows * p.length <= (int64_t(1) << 19), type);
    }
    QCOMPARE(sampleOf(GgmlType::IQ2_XXS, 8192, 6144).rows, int64_t(128));  // 2^15: 128 blocks
    QCOMPARE(sampleOf(GgmlType::Q4_K, 8192, 6144).length, int64_t(2048));  // 2^19 over 256 rows
    // Whole rows whenever 256 of them (or every row) fit the budget.
    QCOMPARE(sampleOf(GgmlType::Q4_K, 8192, 2048).rows, int64_t(256));
    QCOMPARE(sampleOf(GgmlType::Q4_K, 8192, 2048).length, int64_t(2048));
    QCOMPARE(sampleOf(GgmlType::Q4_K, 10, 256).rows, int64_t(10));  // small tensors: every row
    QCOMPARE(sampleOf(GgmlType::Q4_K, 1000, 256, 2560).rows, int64_t(10));
    QCOMPARE(sampleOf(GgmlType::Q4_K, 1000, 256, 2560).length, int64_t(256));
    // Huge rows: never no row, and never less than one block per row.
    QCOMPARE(sampleOf(GgmlType::Q4_K, 1000, 1 << 20).rows, int64_t(256));
    QCOMPARE(sampleOf(GgmlType::Q4_K, 1000, 1 << 20).length, int64_t(2048));
    QCOMPARE(sampleOf(GgmlType::Q4_K, 3, 1 << 20, 256).rows, int64_t(1));
    QCOMPARE(sampleOf(GgmlType::Q4_K, 3, 1 << 20, 256).length, int64_t(256));
    // Segments are whole blocks of the source too (Q4_K stored, Q8_0 candidate: 256).
    QCOMPARE(qb::previewSample(GgmlType::Q8_0, GgmlType::Q4_K, 8192, 6144, 1 << 16).length, int64_t(256));
    // Importance data slows the Q4_1/Q5_1 and Q4_0/Q5_0 searches: smaller, still real samples.
    for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1}) {
        const qb::PreviewSample weighted = sampleOf(type, 8192, 6144, 0, true);
        const qb::PreviewSample plain = sampleOf(type, 8192, 6144);
        QVERIFY(weighted.rows == qb::kMinPreviewRows && weighted.length < plain.length);
    }
    QCOMPARE(sampleOf(GgmlType::Q4_K, 8192, 6144, 0, true).length, sampleOf(GgmlType::Q4_K, 8192, 6144).length);

    const GoldenTensor t = goldenTensor("llama256.f16.gguf", "token_embd.weight");
    auto req = requestFor(t, typeNamed("Q4_K"), qb::AnalysisMode::Preview);
    req.previewElements = 64 * 256;
    const auto a = qb::analyzeTensor(req);
    const auto b = qb::analyzeTensor(req);
    QCOMPARE(a.rowIndices, b.rowIndices);
    QCOMPARE(a.metrics.rmse, b.metrics.rmse);
    QCOMPARE(a.rowIndices.size(), size_t(64));
    // Evenly spread over the whole tensor, ascending: one row in every 16.
    for (size_t i = 0; i < a.rowIndices.size(); ++i) QCOMPARE(a.rowIndices[i] / 16, int64_t(i));

    // Segments of wide rows: 128 rows of ffn_down (768 wide, 256 rows), one block each, the
    // block's position cycling over the row's three.
    const GoldenTensor down = goldenTensor("llama256.f16.gguf", "blk.0.ffn_down.weight");
    QCOMPARE(down.info->rowLength(), int64_t(768));
    auto dreq = requestFor(down, typeNamed("Q4_K"), qb::AnalysisMode::Preview);
    dreq.previewElements = 1 << 15;
    const auto d = qb::analyzeTensor(dreq);
    QCOMPARE(d.rowIndices.size(), size_t(128));
    QCOMPARE(d.sampledLength, int64_t(256));
    QCOMPARE(d.metrics.elements, int64_t(128 * 256));
    for (size_t i = 0; i < d.rowIndices.size(); ++i) {
        QCOMPARE(d.rowIndices[i], int64_t(2 * i + 1));
        QCOMPARE(d.rowOffsets[i], int64_t(i % 3) * 256);
    }
    // Segments that do not divide the row still cover every column: llama288's 288-wide rows
    // in Q8_0 at 2^15 elements are 256 segments of 128 columns, at 0, 64 and 160.
    const GoldenTensor up = goldenTensor("llama288.f32.gguf", "blk.0.ffn_up.weight");
    auto ureq = requestFor(up, typeNamed("Q8_0"), qb::AnalysisMode::Preview);
    ureq.previewElements = 1 << 15;
    const auto u = qb::analyzeTensor(ureq);
    QCOMPARE(u.sampledLength, int64_t(128));
    std::vector<int> seen(size_t(up.info->rowLength()), 0);
    for (int64_t offset : u.rowOffsets)
        for (int64_t j = 0; j < u.sampledLength; ++j) ++seen[size_t(offset + j)];
    QVERIFY(std::count(seen.begin(), seen.end(), 0) == 0);
    QCOMPARE((std::set<int64_t>(u.rowOffsets.begin(), u.rowOffsets.end())), (std::set<int64_t>{0, 64, 160}));
} catch (const std::exception &e) {
    QFAIL(e.what());
}

void TestAnalysis::resultsDoNotDependOnThreads() try {
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
} catch (const std::exception &e) {
    QFAIL(e.what());
}

void TestAnalysis::progressAndCancellation() try {
    const GoldenTensor t = goldenTensor("llama256.f16.gguf", "token_embd.weight");  // 1024 rows: 4 batches
    auto req = requestFor(t, typeNamed("Q4_K"), qb::AnalysisMode::Exact);
    std::vector<double> reports;
    req.progress = [&](double f) { reports.push_back(f); };
    qb::analyzeTensor(req);
    QVERIFY(reports.size() >= 2);
    QVERIFY(std::is_sorted(reports.begin(), reports.end()));
    QVERIFY(reports.front() > 0);
    QCOMPARE(reports.back(), 1.0);

    // Cancelled after the first batch: the analysis stops with a Cancelled error.
    std::atomic<bool> cancel{false};
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
} catch (const std::exception &e) {
    QFAIL(e.what());
}

void TestAnalysis::badRequestsAreRefused() try {
    const GoldenTensor t = goldenTensor("llama288.f32.gguf", "blk.0.ffn_up.weight");
    auto req = requestFor(t, typeNamed("Q4_K"), qb::AnalysisMode::Exact);  // 288 columns: no Q4_K blocks
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::analyzeTensor(req));
    req.candidate = typeNamed("IQ2_XXS");  // needs importance data
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::analyzeTensor(req));
    req.candidate = typeNamed("Q8_0");
    req.sourceData = req.sourceData.first(req.sourceData.size() - 4);  // truncated
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::analyzeTensor(req));
} catch (const std::exception &e) {
    QFAIL(e.what());
}

void TestAnalysis::cacheKeysSeparateImportance() try {
    qb::AnalysisCache cache;
    const std::vector<float> a{1, 2, 3}, b{1, 2, 4};
    QVERIFY(qb::importanceFingerprint(a) != qb::importanceFingerprint(b));
    QCOMPARE(qb::importanceFingerprint({}), uint64_t(0));
    qb::AnalysisKey key{"t", qb::GgmlType::Q4_K, qb::importanceFingerprint(a), qb::AnalysisMode::Preview, 64, {}};
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
} catch (const std::exception &e) {
    QFAIL(e.what());
}

QTEST_GUILESS_MAIN(TestAnalysis)
#include "tst_analysis.moc"
