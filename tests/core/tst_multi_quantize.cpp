// The multi-output job (pipeline/multi_quantize.h) on golden models: one pass over every label
// that applies gives, per output, exactly llama-quantize's single-label file (every tensor's name,
// type, shape and sha256, the metadata values and the file size of the golden manifest); each
// distinct quantization is done once (counted against the plans); the all-or-nothing rules hold
// for a refused output, a full disk under one output, --fail-fast and cancellation.
#include "file_size_limit.h"
#include "mix_golden_runs.h"

#include "error.h"
#include "imatrix/importance_matrix.h"
#include "mix/mix_rules.h"
#include "mix/plan_builder.h"
#include "mix/quant_label.h"
#include "pipeline/multi_quantize.h"
#include "pipeline/quantize_pipeline.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include <sys/resource.h>

namespace {

namespace fs = std::filesystem;

QStringList filesIn(const QString &dir) { return QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::System); }

// A label's plan as quantize builds it (no importance matrix).
qb::ExecutionPlan planOf(const qb::GgufModel &model, const char *label) {
    const auto mix = qb::decideMix(model, *qb::findQuantLabel(label), {}, nullptr);
    return qb::buildExecutionPlan(model, mix, nullptr, {});
}

// The full-disk tests' two outputs in `dir`: q8.gguf (Q8_0), then the smaller q4ks.gguf (Q4_K_S).
std::vector<qb::MultiOutputSpec> q8ThenQ4ks(const QTemporaryDir &dir, const qb::GgufModel &model) {
    std::vector<qb::MultiOutputSpec> specs;
    specs.push_back({dir.filePath(QStringLiteral("q8.gguf")).toStdString(), planOf(model, "Q8_0")});
    specs.push_back({dir.filePath(QStringLiteral("q4ks.gguf")).toStdString(), planOf(model, "Q4_K_S")});
    return specs;
}

// (tensor, type) quantizations the plans need once each, and in single runs.
std::pair<size_t, size_t> countQuantizations(const qb::GgufModel &model, const std::vector<qb::MultiOutputSpec> &specs) {
    size_t distinct = 0, single = 0;
    for (size_t i = 0; i < specs.front().plan.tensors.size(); ++i) {
        std::set<std::pair<qb::GgmlType, const float *>> seen;
        for (const auto &s : specs) {
            const auto &p = s.plan.tensors[i];
            if (p.target == model.tensors()[p.source].info->type) continue;
            ++single;
            if (seen.insert({p.target, p.importance.data()}).second) ++distinct;
        }
    }
    return {distinct, single};
}

using qbtest::FileSizeLimit;

} // namespace

class TestMultiQuantize : public QObject {
    Q_OBJECT
  private slots:
    void everyLabelInOnePassEqualsLlamaQuantize_data();
    void everyLabelInOnePassEqualsLlamaQuantize();
    void refusedOutputIsReportedBeforeWorkOthersGoOn();
    void failFastRefusalWritesNothing();
    void fullDiskUnderOneOutputKeepsTheOthers();
    void failFastOnFullDiskRemovesEveryOutput();
    void cancellationLeavesNothing();
    void ruleSetsWithDifferentKernelsAreQuantizedApart();
};

void TestMultiQuantize::everyLabelInOnePassEqualsLlamaQuantize_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<bool>("withImatrix");
    // 256-wide rows, every label applies with the importance matrix; and the real model whose widths
    // (64, 172) force every fallback, without one.
    QTest::newRow("llama256.f16 + imatrix") << QStringLiteral("models/llama256.f16.gguf") << true;
    QTest::newRow("stories260K.f32") << QStringLiteral("models/stories260K.f32.gguf") << false;
}

void TestMultiQuantize::everyLabelInOnePassEqualsLlamaQuantize() {
    QFETCH(QString, model);
    QFETCH(bool, withImatrix);
    std::vector<qbtest::GoldenRun> runs;
    size_t refusedRuns = 0;
    for (const auto &run : qbtest::goldenRuns())
        if (!run.pure && run.model == model.toStdString() && run.imatrix.empty() != withImatrix) {
            if (run.refused())
                ++refusedRuns;
            else if (run.hasExpected())
                runs.push_back(run);
        }
    QVERIFY2(runs.size() >= 20, "too few golden runs for this model");
    const auto input = qb::GgufModel::open(qbtest::golden(model.toStdString()));
    std::shared_ptr<const qb::ImportanceMatrix> imatrix;
    if (withImatrix)
        imatrix = std::make_shared<const qb::ImportanceMatrix>(
            qb::ImportanceMatrix::load(qbtest::golden(runs.front().imatrix)));
    const std::string recordedImatrix = withImatrix
                                            ? qbtest::readJson(runs.front().expected)["kv"]["quantize.imatrix.file"].get<std::string>()
                                            : std::string();

    // Labels that llama-quantize refused are refused by the mix rules, before any work.
    size_t refusedHere = 0;
    for (const auto &run : qbtest::goldenRuns())
        if (!run.pure && run.model == model.toStdString() && run.imatrix.empty() != withImatrix && run.refused()) {
            QVERIFY_THROWS_EXCEPTION(qb::Error, qb::decideMix(*input, *qb::findQuantLabel(run.label), {},
                                                              imatrix.get()));
            ++refusedHere;
        }
    QCOMPARE(refusedHere, refusedRuns);

    QTemporaryDir dir;
    std::vector<qb::MultiOutputSpec> specs;
    for (const auto &run : runs) {
        const auto mix = qb::decideMix(*input, *qb::findQuantLabel(run.label), {}, imatrix.get());
        qb::PlanOptions planOptions;
        planOptions.imatrixFile = recordedImatrix;
        specs.push_back({dir.filePath(QString::fromStdString(run.label + ".gguf")).toStdString(),
                         qb::buildExecutionPlan(*input, mix, imatrix, planOptions)});
    }
    qb::MultiQuantizeOptions options;
    options.threads = 2;
    size_t tensorsDone = 0;
    options.tensorDone = [&](const qb::MultiTensorProgress &p) {
        QCOMPARE(p.tensorIndex, tensorsDone);  // in order, once each
        ++tensorsDone;
    };
    const auto result = qb::runMultiQuantization(*input, specs, options);
    QCOMPARE(tensorsDone, specs.front().plan.tensors.size());
    const auto [distinct, single] = countQuantizations(*input, specs);
    QCOMPARE(result.quantizations, distinct);
    QCOMPARE(result.singleRunQuantizations, single);
    QVERIFY(result.quantizations < result.singleRunQuantizations);  // labels share types

    for (size_t k = 0; k < runs.size(); ++k) {
        const auto &run = runs[k];
        QVERIFY2(result.outputs[k].state == qb::OutputState::Written, (run.key + ": " + result.outputs[k].error).c_str());
        const auto manifest = qbtest::readJson(run.expected);
        const auto written = qb::GgufFile::open(specs[k].path);
        const std::string mismatch = qbtest::goldenRunMismatch(*written, run);
        QVERIFY2(mismatch.empty(), mismatch.c_str());
        QCOMPARE(result.outputs[k].fileBytes, manifest["file_bytes"].get<uint64_t>());
        QCOMPARE(uint64_t(fs::file_size(specs[k].path)), manifest["file_bytes"].get<uint64_t>());
    }
    QCOMPARE(filesIn(dir.path()).size(), qsizetype(runs.size()));  // no temporary file left
}

// An output whose plan cannot run (IQ2_XS without importance data) is refused before any
// tensor is read; the others are written and equal their single runs.
void TestMultiQuantize::refusedOutputIsReportedBeforeWorkOthersGoOn() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    QTemporaryDir dir;
    std::vector<qb::MultiOutputSpec> specs;
    specs.push_back({dir.filePath(QStringLiteral("q4km.gguf")).toStdString(), planOf(*model, "Q4_K_M")});
    qb::ExecutionPlan bad = planOf(*model, "Q4_K_M");
    for (auto &t : bad.tensors)
        if (model->tensors()[t.source].info->nDims == 2) t.target = qb::GgmlType::IQ2_XS;
    specs.push_back({dir.filePath(QStringLiteral("iq2xs.gguf")).toStdString(), bad});
    specs.push_back({dir.filePath(QStringLiteral("q8.gguf")).toStdString(), planOf(*model, "Q8_0")});
    qb::MultiQuantizeOptions options;
    options.threads = 2;
    const auto result = qb::runMultiQuantization(*model, specs, options);
    QCOMPARE(result.outputs[1].state, qb::OutputState::Refused);
    QVERIFY2(result.outputs[1].error.find("needs importance data") != std::string::npos, result.outputs[1].error.c_str());
    QCOMPARE(result.outputs[0].state, qb::OutputState::Written);
    QCOMPARE(result.outputs[2].state, qb::OutputState::Written);
    QCOMPARE(filesIn(dir.path()), QStringList({QStringLiteral("q4km.gguf"), QStringLiteral("q8.gguf")}));
    for (const char *label : {"Q4_K_M", "Q8_0"}) {
        const auto file = qbtest::readAll(specs[label[1] == '4' ? 0 : 2].path);
        const auto manifest = qbtest::readJson(std::string("mixes/llama256.f16/") + label + ".json");
        QCOMPARE(uint64_t(file.size()), manifest["file_bytes"].get<uint64_t>());
        const auto written = qb::GgufFile::open(specs[label[1] == '4' ? 0 : 2].path);
        const std::string mismatch = qbtest::tensorHashMismatch(*written, manifest);
        QVERIFY2(mismatch.empty(), mismatch.c_str());
    }
}

void TestMultiQuantize::failFastRefusalWritesNothing() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    QTemporaryDir dir;
    std::vector<qb::MultiOutputSpec> specs;
    specs.push_back({dir.filePath(QStringLiteral("q4km.gguf")).toStdString(), planOf(*model, "Q4_K_M")});
    // Same file twice: the second is refused.
    specs.push_back({dir.filePath(QStringLiteral("q4km.gguf")).toStdString(), planOf(*model, "Q8_0")});
    qb::MultiQuantizeOptions options;
    options.failFast = true;
    bool anyTensor = false;
    options.tensorDone = [&](const qb::MultiTensorProgress &) { anyTensor = true; };
    try {
        qb::runMultiQuantization(*model, specs, options);
        QFAIL("no error with --fail-fast and a refused output");
    } catch (const qb::Error &e) {
        QVERIFY2(std::string(e.what()).find("same file as output 1") != std::string::npos, e.what());
    }
    QVERIFY(!anyTensor);
    QVERIFY(filesIn(dir.path()).isEmpty());
}

// The disk fills up under the larger output only: it fails with the file named and its temporary
// file removed; the smaller one completes and equals llama-quantize's.
void TestMultiQuantize::fullDiskUnderOneOutputKeepsTheOthers() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    const auto q4 = qbtest::readJson("mixes/llama256.f16/Q4_K_S.json")["file_bytes"].get<uint64_t>();
    const auto q8 = qbtest::readJson("mixes/llama256.f16/Q8_0.json")["file_bytes"].get<uint64_t>();
    QVERIFY(q8 > q4 + 1024 * 1024);
    QTemporaryDir dir;
    const std::vector<qb::MultiOutputSpec> specs = q8ThenQ4ks(dir, *model);
    qb::MultiQuantizeOptions options;
    options.threads = 2;
    qb::MultiQuantizeResult result;
    {
        FileSizeLimit full(rlim_t(q4 + 4096));
        result = qb::runMultiQuantization(*model, specs, options);
    }
    QCOMPARE(result.outputs[0].state, qb::OutputState::Failed);
    QVERIFY2(result.outputs[0].error.find("q8.gguf") != std::string::npos, result.outputs[0].error.c_str());
    QCOMPARE(result.outputs[1].state, qb::OutputState::Written);
    QCOMPARE(filesIn(dir.path()), QStringList({QStringLiteral("q4ks.gguf")}));
    QCOMPARE(uint64_t(fs::file_size(specs[1].path)), q4);
    const auto written = qb::GgufFile::open(specs[1].path);
    const std::string mismatch = qbtest::tensorHashMismatch(*written, qbtest::readJson("mixes/llama256.f16/Q4_K_S.json"));
    QVERIFY2(mismatch.empty(), mismatch.c_str());
}

void TestMultiQuantize::failFastOnFullDiskRemovesEveryOutput() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    const auto q4 = qbtest::readJson("mixes/llama256.f16/Q4_K_S.json")["file_bytes"].get<uint64_t>();
    QTemporaryDir dir;
    const std::vector<qb::MultiOutputSpec> specs = q8ThenQ4ks(dir, *model);
    qb::MultiQuantizeOptions options;
    options.threads = 2;
    options.failFast = true;
    qb::MultiQuantizeResult result;
    {
        FileSizeLimit full(rlim_t(q4 / 2));  // both fail part way; the first failure stops the other
        result = qb::runMultiQuantization(*model, specs, options);
    }
    for (const auto &o : result.outputs) QVERIFY(o.state == qb::OutputState::Failed || o.state == qb::OutputState::Cancelled);
    QVERIFY(std::any_of(result.outputs.begin(), result.outputs.end(),
                        [](const auto &o) { return o.state == qb::OutputState::Failed; }));
    QVERIFY(filesIn(dir.path()).isEmpty());
}

// Cancelled after every tensor index in turn: no output exists, no temporary file is left.
void TestMultiQuantize::cancellationLeavesNothing() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
    const size_t count = model->tensors().size();
    for (size_t at = 0; at < count; at += 3) {
        QTemporaryDir dir;
        std::vector<qb::MultiOutputSpec> specs;
        for (const char *label : {"Q4_K_M", "Q5_K_S", "Q8_0"})
            specs.push_back({dir.filePath(QString::fromLatin1(label) + QStringLiteral(".gguf")).toStdString(),
                             planOf(*model, label)});
        std::atomic<bool> cancel{false};
        qb::MultiQuantizeOptions options;
        options.threads = 2;
        options.cancel = &cancel;
        options.tensorDone = [&](const qb::MultiTensorProgress &p) {
            if (p.tensorIndex == at) cancel = true;
        };
        const auto result = qb::runMultiQuantization(*model, specs, options);
        QVERIFY(result.cancelled);
        for (const auto &o : result.outputs) QCOMPARE(o.state, qb::OutputState::Cancelled);
        QVERIFY2(filesIn(dir.path()).isEmpty(), qPrintable(filesIn(dir.path()).join(u',')));
    }
}


// Two outputs of one IQ1_M plan, one under each rule set: IQ1_M's quantizer differs between the
// releases, so the pass quantizes each IQ1_M tensor once per rule set (not shared), each output
// equals its single run, and on this model the two differ (llama256.f16 is one of the models where
// the releases' IQ1_M choices differ, tests/cli/test_llama_2026.sh).
void TestMultiQuantize::ruleSetsWithDifferentKernelsAreQuantizedApart() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    const auto imatrix = std::make_shared<const qb::ImportanceMatrix>(
        qb::ImportanceMatrix::load(qbtest::golden("imatrix/llama256.f16.imatrix.dat")));
    const auto mix = qb::decideMix(*model, *qb::findQuantLabel("IQ1_M"), {}, imatrix.get());
    qb::ExecutionPlan old = qb::buildExecutionPlan(*model, mix, imatrix, {});
    old.rules = qb::RuleSet::B4748;
    qb::ExecutionPlan today = old;
    today.rules = qb::RuleSet::R2026_09;
    QTemporaryDir dir;
    std::vector<qb::MultiOutputSpec> specs;
    specs.push_back({dir.filePath(QStringLiteral("b4748.gguf")).toStdString(), old});
    specs.push_back({dir.filePath(QStringLiteral("2026.gguf")).toStdString(), today});
    qb::MultiQuantizeOptions options;
    options.threads = 2;
    const auto result = qb::runMultiQuantization(*model, specs, options);
    size_t iq1m = 0, other = 0;
    for (const auto &t : old.tensors)
        if (t.target != model->tensors()[t.source].info->type) ++(t.target == qb::GgmlType::IQ1_M ? iq1m : other);
    QVERIFY(iq1m > 0);
    QCOMPARE(result.quantizations, 2 * iq1m + other);  // only the IQ1_M tensors twice
    std::vector<std::vector<char>> bytes;
    for (const auto &spec : specs) {
        QVERIFY(std::filesystem::exists(spec.path));
        const auto single = spec.path.string() + ".single.gguf";
        qb::runQuantization(*model, spec.plan, single, qb::PipelineOptions{});
        QFile multiFile(QString::fromStdString(spec.path.string())), singleFile(QString::fromStdString(single));
        QVERIFY(multiFile.open(QIODevice::ReadOnly) && singleFile.open(QIODevice::ReadOnly));
        const QByteArray a = multiFile.readAll();
        QVERIFY(a == singleFile.readAll());
        bytes.emplace_back(a.begin(), a.end());
    }
    QVERIFY(bytes[0] != bytes[1]);
}

QTEST_GUILESS_MAIN(TestMultiQuantize)
#include "tst_multi_quantize.moc"
