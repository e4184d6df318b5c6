// Whole-model quantization by label, end to end (mix rules -> plan builder -> pipeline -> file):
// every run golden/status.json records as done must give llama-quantize's tensors (order, type,
// shape, sha256), metadata values and file size; pure runs must equal the golden file byte for
// byte. Failures name the run, the tensor and the type, so a missing kernel is easy to spot.
#include "mix_golden_runs.h"

#include "error.h"
#include "imatrix/importance_matrix.h"
#include "kernels/kernels.h"
#include "mix/mix_rules.h"
#include "mix/plan_builder.h"
#include "mix/quant_label.h"
#include "pipeline/quantize_pipeline.h"

#include <QTemporaryDir>
#include <QtTest>

#include <optional>

namespace {

// The imatrix file name llama-quantize recorded (it is part of the metadata to reproduce).
std::string recordedImatrixFile(const qbtest::GoldenRun &run) {
    if (run.pure) {
        const auto file = qb::GgufFile::open(qbtest::golden(run.expected));
        return file->findString("quantize.imatrix.file").value_or("");
    }
    const auto kv = qbtest::readJson(run.expected)["kv"];
    return kv.contains("quantize.imatrix.file") ? kv["quantize.imatrix.file"].get<std::string>() : std::string();
}

bool jsonEqualsValue(const nlohmann::json &want, const qb::GgufValue &got) {
    if (want.is_string()) return got.string() && *got.string() == want.get<std::string>();
    if (want.is_number_integer()) return got.toInt() == want.get<int64_t>();
    if (want.is_number_float()) return got.toDouble() == want.get<double>();
    if (want.is_boolean()) return got.toInt() == int64_t(want.get<bool>());
    return false;
}

} // namespace

class TestQuantizeMixes : public QObject {
    Q_OBJECT
private slots:
    void reproducesLlamaQuantize_data();
    void reproducesLlamaQuantize();
};

void TestQuantizeMixes::reproducesLlamaQuantize_data() {
    QTest::addColumn<int>("index");
    const auto runs = qbtest::goldenRuns();
    for (size_t i = 0; i < runs.size(); ++i)
        if (!runs[i].refused()) QTest::newRow(runs[i].key.c_str()) << int(i);
}

void TestQuantizeMixes::reproducesLlamaQuantize() {
    QFETCH(int, index);
    const auto run = qbtest::goldenRuns()[size_t(index)];
    const auto model = qb::GgufModel::open(qbtest::golden(run.model));
    qb::QuantizeOptions options;
    options.pure = run.pure;
    std::optional<qb::ImportanceMatrix> imatrix;
    if (!run.imatrix.empty()) imatrix = qb::filterImportance(qb::ImportanceMatrix::load(qbtest::golden(run.imatrix)), options);
    const auto mix = qb::decideMix(*model, *qb::findQuantLabel(run.label), options, imatrix ? &*imatrix : nullptr);

    // Name the kernels this run needs that this build cannot produce yet.
    std::string missing;
    for (const auto &d : mix.tensors)
        if (d.target != d.source && !qb::canQuantize(d.target) && missing.find(qbtest::upperType(d.target)) == std::string::npos)
            missing += " " + qbtest::upperType(d.target);
    if (!missing.empty()) QFAIL(qPrintable(QString::fromStdString(run.key + ": no kernel yet for" + missing)));

    qb::PlanOptions planOptions;
    planOptions.imatrixFile = recordedImatrixFile(run);
    const auto plan = qb::buildExecutionPlan(*model, mix, imatrix ? &*imatrix : nullptr, planOptions);
    QTemporaryDir dir;
    const std::filesystem::path out = dir.filePath(QStringLiteral("out.gguf")).toStdString();
    qb::PipelineOptions pipelineOptions;
    pipelineOptions.threads = 2;
    const auto result = qb::runQuantization(*model, plan, out, pipelineOptions);

    if (run.pure) {
        QVERIFY2(qbtest::readAll(out) == qbtest::readAll(qbtest::golden(run.expected)),
                 qPrintable(QString::fromStdString(run.key + ": output differs from llama-quantize's " + run.expected)));
        return;
    }
    const auto manifest = qbtest::readJson(run.expected);
    const auto written = qb::GgufFile::open(out);
    const auto expected = qbtest::expectedTensors(run);
    QCOMPARE(written->tensors().size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        const auto &t = written->tensors()[i];
        const std::string where = run.key + ": " + expected[i].name + " (" + expected[i].type + ")";
        QVERIFY2(t.name == expected[i].name && qbtest::upperType(t.type) == expected[i].type, where.c_str());
        const auto data = written->tensorData(t);
        const std::string sha = qbtest::sha256Hex(data.data(), data.size()).toStdString();
        QVERIFY2(sha == expected[i].sha256, (where + ": tensor bytes differ from llama-quantize's").c_str());
    }
    for (const auto &[key, value] : manifest["kv"].items()) {
        const qb::GgufValue *got = written->find(key);
        QVERIFY2(got && jsonEqualsValue(value, *got), (run.key + ": metadata " + key + " differs").c_str());
    }
    QCOMPARE(result.fileBytes, manifest["file_bytes"].get<uint64_t>());
}

QTEST_GUILESS_MAIN(TestQuantizeMixes)
#include "tst_quantize_mixes.moc"
