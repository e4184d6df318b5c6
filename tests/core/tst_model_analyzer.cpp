// Model-level analysis: sizes and aggregate errors of whole mixes, reuse of cached pairs, and
// the table of every label, its sizes checked against llama-quantize's own outputs (the golden
// manifests) and its cost against the number of distinct (tensor, type) pairs.
//
// Every test is a function-try-block: an exception is that test's failure, never an abort.
#include "golden.h"

#include "analysis/label_table.h"
#include "analysis/model_analyzer.h"
#include "error.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <fstream>
#include <set>
#include <thread>

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

// Tensor data bytes of llama-quantize's output for a label, or nullopt when it refused the run.
std::optional<uint64_t> manifestBytes(const std::string &model, const std::string &label, bool imatrix) {
    const auto path = qbtest::golden("mixes/" + model + "/" + label + (imatrix ? ".imatrix.json" : ".json"));
    std::ifstream in(path);
    if (!in) return std::nullopt;
    const nlohmann::json doc = nlohmann::json::parse(in);
    uint64_t bytes = 0;
    for (const auto &t : doc.at("tensors")) bytes += t.at("bytes").get<uint64_t>();
    return bytes;
}

// sqrt(Σ n·e² / Σ n) over the analyser's cached per-tensor results; e = relative RMSE, or the
// importance-weighted relative error where the analysis had importance data.
double aggregate(const qb::ModelAnalyzer &analyzer, const std::vector<qb::MixEntry> &mix, bool weighted) {
    double sum = 0, params = 0;
    for (const auto &e : mix) {
        const auto &info = *analyzer.model().tensors()[e.tensor].info;
        params += double(info.elements());
        if (info.type == e.type) continue;
        const auto r = analyzer.cached(e.tensor, e.type, 0);  // summaries analyse without histograms
        if (!r) throw std::runtime_error("no cached analysis for " + info.name);
        const double v = weighted && r->metrics.weighted ? r->metrics.weightedRelative : r->metrics.relativeRmse;
        sum += double(info.elements()) * v * v;
    }
    return std::sqrt(sum / params);
}

bool close(double a, double b) { return std::abs(a - b) <= 1e-12 * std::max(1e-30, std::abs(b)); }

} // namespace

class TestModelAnalyzer : public QObject {
    Q_OBJECT
private slots:
    void summaryBytesAndAggregate();
    void sharedPairsAreComputedOnce();
    void importanceWeightedAggregate();
    void cacheIsSharedAcrossImportanceMatrices();
    void histogramRangesAreKeyed();
    void pairProgressNeverGoesBack();
    void labelListParsing();
    void labelTableMatchesLlamaQuantize_data();
    void labelTableMatchesLlamaQuantize();
    void labelTableCancellationAndProgress();
};

void TestModelAnalyzer::summaryBytesAndAggregate() try {
    const std::shared_ptr<const qb::GgufModel> model = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
    qb::ModelAnalyzer analyzer(model, nullptr);
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
    QVERIFY(close(s.relativeRmse, aggregate(analyzer, mix, false)));
    QVERIFY(s.relativeRmse > 0 && s.relativeRmse < 0.02);  // Q8_0 on heavy-tailed weights: well under 2 %
    QVERIFY(!s.weighted);
} catch (const std::exception &e) {
    QFAIL(e.what());
}

void TestModelAnalyzer::sharedPairsAreComputedOnce() try {
    const std::shared_ptr<const qb::GgufModel> model = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
    qb::ModelAnalyzer analyzer(model, nullptr);
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
    // Exact results are new pairs; afterwards they also answer preview requests.
    const qb::MixSummary exact = analyzer.summarize("a", q4, qb::AnalysisMode::Exact, 2);
    QCOMPARE(exact.pairsComputed, quantized);
    QCOMPARE(analyzer.analyzePairs(q4, qb::AnalysisMode::Preview, 2), size_t(0));
} catch (const std::exception &e) {
    QFAIL(e.what());
}

void TestModelAnalyzer::importanceWeightedAggregate() try {
    const std::shared_ptr<const qb::GgufModel> model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    auto imatrix = std::make_shared<const qb::ImportanceMatrix>(
        qb::ImportanceMatrix::load(qbtest::golden("imatrix/llama256.f16.imatrix.dat")));
    qb::ModelAnalyzer plain(model, nullptr);
    qb::ModelAnalyzer weighted(model, imatrix);
    const auto mix = uniformMix(*model, qb::GgmlType::Q3_K);
    const qb::MixSummary a = plain.summarize("Q3_K", mix, qb::AnalysisMode::Preview, 2);
    const qb::MixSummary b = weighted.summarize("Q3_K", mix, qb::AnalysisMode::Preview, 2);
    QVERIFY(!a.weighted);
    QVERIFY(b.weighted);
    QCOMPARE(a.bytes, b.bytes);
    // token_embd has no importance entry: it enters the weighted aggregate with its plain error.
    const size_t embd = size_t(model->findTensor("token_embd.weight") - model->tensors().data());
    QVERIFY(weighted.importanceFor(embd).empty());
    QVERIFY(close(b.weightedRelative, aggregate(weighted, mix, true)));
    QVERIFY(close(b.relativeRmse, aggregate(weighted, mix, false)));
    // Importance-aware quantization measured where it matters: lower weighted error than plain
    // quantization measured with the same weights is checked per tensor in tst_analysis; here the
    // aggregate must be positive and different from the unweighted one.
    QVERIFY(b.weightedRelative > 0 && b.weightedRelative != b.relativeRmse);
} catch (const std::exception &e) {
    QFAIL(e.what());
}

// Analyzers of one model sharing a cache reuse exactly the results whose importance data agree:
// a tensor the matrix does not cover analyses the same with or without it.
void TestModelAnalyzer::cacheIsSharedAcrossImportanceMatrices() try {
    const std::shared_ptr<const qb::GgufModel> model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    const auto load = [] {
        return std::make_shared<const qb::ImportanceMatrix>(
            qb::ImportanceMatrix::load(qbtest::golden("imatrix/llama256.f16.imatrix.dat")));
    };
    const auto cache = std::make_shared<qb::AnalysisCache>();
    const auto mix = uniformMix(*model, qb::GgmlType::Q4_K);
    qb::ModelAnalyzer weighted(model, load(), cache);
    const qb::MixSummary first = weighted.summarize("Q4_K", mix, qb::AnalysisMode::Preview, 2);
    // Without importance data only the tensors the matrix covers are new.
    size_t covered = 0;
    for (const qb::MixEntry &e : mix)
        covered += model->tensors()[e.tensor].info->type != e.type && !weighted.importanceFor(e.tensor).empty();
    QVERIFY(covered > 0 && covered < first.pairsComputed);
    qb::ModelAnalyzer plain(model, nullptr, cache);
    QCOMPARE(plain.summarize("Q4_K", mix, qb::AnalysisMode::Preview, 2).pairsComputed, covered);
    // The same matrix loaded again: everything is found.
    qb::ModelAnalyzer again(model, load(), cache);
    const qb::MixSummary second = again.summarize("Q4_K", mix, qb::AnalysisMode::Preview, 2);
    QCOMPARE(second.pairsComputed, size_t(0));
    QCOMPARE(second.weightedRelative, first.weightedRelative);
    QCOMPARE(again.cacheSize(), first.pairsComputed + covered);
} catch (const std::exception &e) {
    QFAIL(e.what());
}

// Caller-chosen histogram ranges reach the histograms and are part of the cache key.
void TestModelAnalyzer::histogramRangesAreKeyed() try {
    const std::shared_ptr<const qb::GgufModel> model = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
    qb::ModelAnalyzer analyzer(model, nullptr);
    const size_t t = size_t(model->findTensor("blk.0.ffn_up.weight") - model->tensors().data());
    const auto type = qb::GgmlType::Q4_K;
    const auto mode = qb::AnalysisMode::Exact;
    qb::HistogramRanges a;
    a.error = qb::HistogramRange{-0.01, 0.01};
    qb::HistogramRanges b = a;
    b.error->hi = 0.02;
    b.weights = qb::HistogramRange{-1, 1};
    const auto automatic = analyzer.analyze(t, type, mode, 16);
    const auto ra = analyzer.analyze(t, type, mode, 16, a);
    QVERIFY(ra != automatic);
    QCOMPARE(ra->error.lo, -0.01);
    QCOMPARE(ra->error.hi, 0.01);
    QCOMPARE(ra->weights.lo, automatic->weights.lo);  // unset: the data's range
    QVERIFY(!analyzer.cached(t, type, 16, b));         // another range is not this result
    const auto rb = analyzer.analyze(t, type, mode, 16, b);
    QVERIFY(rb != ra);
    QCOMPARE(rb->error.hi, 0.02);
    QCOMPARE(rb->weights.lo, -1.0);
    QCOMPARE(rb->weights.hi, 1.0);
    QCOMPARE(analyzer.analyze(t, type, mode, 16, a).get(), ra.get());  // each range found again
    QCOMPARE(analyzer.cached(t, type, 16).get(), automatic.get());
    QCOMPARE(analyzer.cacheSize(), size_t(3));
    // Without histograms ranges mean nothing: one result serves them all.
    const auto none = analyzer.analyze(t, type, mode, 0, b);
    QCOMPARE(analyzer.analyze(t, type, mode, 0, a).get(), none.get());
    qb::HistogramRanges bad;
    bad.relativeError = qb::HistogramRange{1, 1};
    QVERIFY_THROWS_EXCEPTION(qb::Error, analyzer.analyze(t, type, mode, 16, bad));
    bad.relativeError = qb::HistogramRange{0, INFINITY};
    QVERIFY_THROWS_EXCEPTION(qb::Error, analyzer.analyze(t, type, mode, 16, bad));
} catch (const std::exception &e) {
    QFAIL(e.what());
}

// Many small analyses on more threads than cores, and a slow progress callback: workers finishing
// while another reports queue up on the lock, so any count taken outside it arrives out of order.
void TestModelAnalyzer::pairProgressNeverGoesBack() try {
    const std::shared_ptr<const qb::GgufModel> model = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
    qb::ModelAnalyzer analyzer(model, nullptr);
    std::vector<qb::MixEntry> pairs;
    for (qb::GgmlType type : {qb::GgmlType::Q4_0, qb::GgmlType::Q5_0, qb::GgmlType::Q8_0, qb::GgmlType::Q4_K,
                              qb::GgmlType::Q6_K, qb::GgmlType::BF16})
        for (const qb::MixEntry &e : uniformMix(*model, type))
            if (model->tensors()[e.tensor].info->type != e.type) pairs.push_back(e);
    std::vector<double> reports;
    const size_t computed = analyzer.analyzePairs(pairs, qb::AnalysisMode::Preview, 8, nullptr, [&](double f) {
        reports.push_back(f);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    QCOMPARE(reports.size(), computed);
    QVERIFY(computed >= 60);
    for (size_t i = 1; i < reports.size(); ++i)
        QVERIFY2(reports[i] > reports[i - 1], qPrintable(QStringLiteral("report %1: %2 after %3").arg(i).arg(reports[i]).arg(reports[i - 1])));
    QCOMPARE(reports.back(), 1.0);
} catch (const std::exception &e) {
    QFAIL(e.what());
}

void TestModelAnalyzer::labelListParsing() try {
    const auto all = qb::parseLabelList("all");
    QCOMPARE(all.size(), qb::tableLabels().size());
    for (const qb::QuantLabel *l : all) QVERIFY(!l->aliasOf && !l->copyOnly);
    QVERIFY(all.size() >= 30);
    const auto some = qb::parseLabelList("q4_k,Q4_K_M,15,Q8_0");  // alias, name and id of one label
    QCOMPARE(some.size(), size_t(2));
    QCOMPARE(std::string(some[0]->name), std::string("Q4_K_M"));
    QCOMPARE(std::string(some[1]->name), std::string("Q8_0"));
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::parseLabelList("Q4_K_M,Q9_X"));
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::parseLabelList("COPY"));
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::parseLabelList(""));
} catch (const std::exception &e) {
    QFAIL(e.what());
}

void TestModelAnalyzer::labelTableMatchesLlamaQuantize_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<bool>("imatrix");
    QTest::newRow("llama256.f16 imatrix") << "llama256.f16" << true;
    QTest::newRow("llama256.f16 plain") << "llama256.f16" << false;
    QTest::newRow("llama288.f32 plain") << "llama288.f32" << false;
}

void TestModelAnalyzer::labelTableMatchesLlamaQuantize() try {
    QFETCH(QString, model);
    QFETCH(bool, imatrix);
    const std::string name = model.toStdString();
    const std::shared_ptr<const qb::GgufModel> gguf = qb::GgufModel::open(qbtest::golden("models/" + name + ".gguf"));
    std::shared_ptr<const qb::ImportanceMatrix> im;
    if (imatrix)
        im = std::make_shared<const qb::ImportanceMatrix>(
            qb::ImportanceMatrix::load(qbtest::golden("imatrix/" + name + ".imatrix.dat")));
    qb::ModelAnalyzer analyzer(gguf, im);
    const auto labels = qb::tableLabels();
    const qb::LabelTable table = qb::buildLabelTable(analyzer, labels, qb::QuantizeOptions{},
                                                     qb::AnalysisMode::Preview, 2);
    QCOMPARE(table.rows.size() + table.skipped.size(), labels.size());

    uint64_t params = 0;
    for (const auto &t : gguf->tensors()) params += uint64_t(t.info->elements());
    std::set<std::pair<size_t, qb::GgmlType>> pairs;
    size_t entries = 0;  // (tensor, type) entries needing an analysis, summed over all labels
    // Refused exactly where llama-quantize refused; sizes exactly those of its outputs.
    for (const qb::LabelTableSkip &s : table.skipped)
        QVERIFY2(!manifestBytes(name, s.label, imatrix), s.label.c_str());
    for (const qb::LabelTableRow &row : table.rows) {
        const auto bytes = manifestBytes(name, row.label->name, imatrix);
        QVERIFY2(bytes, row.label->name);
        QCOMPARE(row.summary.bytes, *bytes);
        QCOMPARE(row.summary.parameters, params);
        QCOMPARE(row.summary.weighted, imatrix);
        QCOMPARE(row.summary.pairsComputed, size_t(0));  // all pairs were analysed up front
        const auto mix =
            qb::decideMix(*gguf, *row.label, qb::QuantizeOptions{}, im.get()).mixEntries();
        QVERIFY(close(row.summary.relativeRmse, aggregate(analyzer, mix, false)));
        if (imatrix) QVERIFY(close(row.summary.weightedRelative, aggregate(analyzer, mix, true)));
        for (const auto &e : mix)
            if (gguf->tensors()[e.tensor].info->type != e.type) {
                pairs.insert({e.tensor, e.type});
                ++entries;
            }
    }
    // The cost of the whole table: each distinct (tensor, type) pair once, nothing more.
    QCOMPARE(table.distinctPairs, pairs.size());
    QCOMPARE(table.pairsComputed, pairs.size());
    QCOMPARE(analyzer.cacheSize(), pairs.size());
    QVERIFY2(pairs.size() < entries, qPrintable(QStringLiteral("%1 of %2").arg(pairs.size()).arg(entries)));

    // Again: everything from the cache, same answers.
    const qb::LabelTable again = qb::buildLabelTable(analyzer, labels, qb::QuantizeOptions{},
                                                     qb::AnalysisMode::Preview, 2);
    QCOMPARE(again.pairsComputed, size_t(0));
    QCOMPARE(again.rows.size(), table.rows.size());
    for (size_t i = 0; i < again.rows.size(); ++i)
        QCOMPARE(again.rows[i].summary.relativeRmse, table.rows[i].summary.relativeRmse);

    // More bits, less error: along the K-quant ladder the aggregate error falls.
    auto rowOf = [&](const char *label) -> const qb::MixSummary * {
        for (const auto &r : table.rows)
            if (std::string(r.label->name) == label) return &r.summary;
        return nullptr;
    };
    double previous = INFINITY;
    for (const char *label : {"Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"}) {
        const qb::MixSummary *s = rowOf(label);
        QVERIFY2(s, label);
        QVERIFY2(s->relativeRmse < previous, label);
        previous = s->relativeRmse;
    }
    const qb::MixSummary *f16 = rowOf("F16");
    QVERIFY(f16);
    QCOMPARE(f16->bitsPerWeight > 15.9, true);
} catch (const std::exception &e) {
    QFAIL(e.what());
}

void TestModelAnalyzer::labelTableCancellationAndProgress() try {
    const std::shared_ptr<const qb::GgufModel> gguf = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
    qb::ModelAnalyzer analyzer(gguf, nullptr);
    const auto labels = qb::parseLabelList("Q4_K_M,Q6_K,Q8_0");
    std::atomic<bool> cancel{true};
    try {
        qb::buildLabelTable(analyzer, labels, qb::QuantizeOptions{}, qb::AnalysisMode::Preview, 2, &cancel);
        QFAIL("expected cancellation");
    } catch (const qb::Error &e) {
        QCOMPARE(e.kind(), qb::ErrorKind::Cancelled);
    }
    QCOMPARE(analyzer.cacheSize(), size_t(0));

    // Cancelled midway by the progress callback: stops early, keeps what finished.
    cancel = false;
    size_t reports = 0;
    try {
        qb::buildLabelTable(analyzer, labels, qb::QuantizeOptions{}, qb::AnalysisMode::Exact, 1, &cancel,
                            [&](double) { if (++reports == 3) cancel = true; });
        QFAIL("expected cancellation");
    } catch (const qb::Error &e) {
        QCOMPARE(e.kind(), qb::ErrorKind::Cancelled);
    }
    QCOMPARE(reports, size_t(3));
    QCOMPARE(analyzer.cacheSize(), size_t(3));

    cancel = false;
    std::vector<double> fractions;
    const qb::LabelTable table = qb::buildLabelTable(analyzer, labels, qb::QuantizeOptions{}, qb::AnalysisMode::Exact,
                                                     2, &cancel, [&](double f) { fractions.push_back(f); });
    QCOMPARE(table.pairsComputed, table.distinctPairs - 3);
    QCOMPARE(fractions.size(), table.pairsComputed);
    QVERIFY(std::is_sorted(fractions.begin(), fractions.end()));
    QCOMPARE(fractions.back(), 1.0);
} catch (const std::exception &e) {
    QFAIL(e.what());
}

QTEST_GUILESS_MAIN(TestModelAnalyzer)
#include "tst_model_analyzer.moc"
