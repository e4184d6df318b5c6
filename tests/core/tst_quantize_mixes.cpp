// Whole-model quantization by label, end to end (mix rules -> plan builder -> pipeline -> file):
// every run golden/status.json records as done must give llama-quantize's tensors (order, type,
// shape, sha256), metadata values and file size; pure runs must equal the golden file byte for
// byte. Failures name the run, the tensor and the type, so a missing kernel is easy to spot.
// Every run of one model is replayed a second time through a preset that restates the label
// (saved to a file and loaded back): it must give the same bytes.
#include "mix_golden_runs.h"

#include "error.h"
#include "gguf/gguf_writer.h"
#include "imatrix/importance_matrix.h"
#include "kernels/kernels.h"
#include "mix/mix_rules.h"
#include "mix/plan_builder.h"
#include "mix/preset.h"
#include "mix/quant_label.h"
#include "pipeline/quantize_pipeline.h"

#include <QTemporaryDir>
#include <QtTest>

#include <map>
#include <memory>
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

} // namespace

class TestQuantizeMixes : public QObject {
    Q_OBJECT
  private slots:
    void reproducesLlamaQuantize_data();
    void reproducesLlamaQuantize();
    void keepSplitWritesOnePartPerInputSplit();
};

void TestQuantizeMixes::reproducesLlamaQuantize_data() {
    QTest::addColumn<int>("index");
    QTest::addColumn<bool>("viaPreset");
    const auto runs = qbtest::goldenRuns();
    for (size_t i = 0; i < runs.size(); ++i)
        if (!runs[i].refused()) QTest::newRow(runs[i].key.c_str()) << int(i) << false;
    // Every label of one small model again, restated as a preset: 30 labels, with and without importance data.
    size_t presetRows = 0;
    for (size_t i = 0; i < runs.size(); ++i)
        if (!runs[i].refused() && runs[i].model == "models/llama256.bf16.gguf") {
            QTest::newRow((runs[i].key + " via preset").c_str()) << int(i) << true;
            ++presetRows;
        }
    QVERIFY2(presetRows >= 50, "the golden runs of llama256.bf16 are missing");
}

void TestQuantizeMixes::reproducesLlamaQuantize() {
    QFETCH(int, index);
    QFETCH(bool, viaPreset);
    const auto run = qbtest::goldenRuns()[size_t(index)];
    const auto model = qb::GgufModel::open(qbtest::golden(run.model));
    QTemporaryDir dir;
    const qb::QuantLabel *label = qb::findQuantLabel(run.label);
    qb::QuantizeOptions options;
    options.pure = run.pure;
    if (viaPreset) {
        // Only what a user restating the label would write: the label and the importance matrix.
        qb::MixPreset preset;
        preset.ruleSet = qb::RuleSet::B4748; // the golden files are llama-quantize b4748's
        preset.baseLabel = run.label;
        if (!run.imatrix.empty()) preset.imatrixFile = qbtest::golden(run.imatrix);
        const std::filesystem::path path = dir.filePath(QStringLiteral("preset.json")).toStdString();
        preset.save(path);
        const auto loaded = qb::MixPreset::load(path);
        options = loaded.toOptions();
        label = &loaded.label();
        QCOMPARE(loaded.imatrixFile, preset.imatrixFile);
    }
    std::shared_ptr<const qb::ImportanceMatrix> imatrix;
    if (!run.imatrix.empty())
        imatrix = std::make_shared<const qb::ImportanceMatrix>(
            qb::filterImportance(qb::ImportanceMatrix::load(qbtest::golden(run.imatrix)), options));
    const auto mix = qb::decideMix(*model, *label, options, imatrix.get());

    // Name the kernels this run needs that this build cannot produce yet.
    std::string missing;
    for (const auto &d : mix.tensors)
        if (d.target != d.source && !qb::canQuantize(d.target) &&
            missing.find(qbtest::upperType(d.target)) == std::string::npos)
            missing += " " + qbtest::upperType(d.target);
    if (!missing.empty()) QFAIL(qPrintable(QString::fromStdString(run.key + ": no kernel yet for" + missing)));

    qb::PlanOptions planOptions;
    planOptions.imatrixFile = recordedImatrixFile(run);
    const auto plan = qb::buildExecutionPlan(*model, mix, imatrix, planOptions);
    const std::filesystem::path out = dir.filePath(QStringLiteral("out.gguf")).toStdString();
    qb::PipelineOptions pipelineOptions;
    pipelineOptions.threads = 2;
    const auto result = qb::runQuantization(*model, plan, out, pipelineOptions);

    if (run.pure) {
        QVERIFY2(
            qbtest::readAll(out) == qbtest::readAll(qbtest::golden(run.expected)),
            qPrintable(QString::fromStdString(run.key + ": output differs from llama-quantize's " + run.expected)));
        return;
    }
    const auto manifest = qbtest::readJson(run.expected);
    const auto written = qb::GgufFile::open(out);
    const std::string mismatch = qbtest::goldenRunMismatch(*written, run);
    QVERIFY2(mismatch.empty(), mismatch.c_str());
    QCOMPARE(result.fileBytes, manifest["file_bytes"].get<uint64_t>());
}

// Splits llama256.f16.gguf into three parts as gguf-split would (split.* keys, -0000i-of-00003 names),
// then quantizes with keep-split: three outputs, each with its own tensors and split keys, its
// tensors in input file order (llama.cpp sorts by split, then offset), and every tensor's type and
// bytes equal to llama-quantize's single-file Q4_K_M output (whose layer-position rules must count
// the same tensors in that order).
void TestQuantizeMixes::keepSplitWritesOnePartPerInputSplit() {
    QTemporaryDir dir;
    const auto source = qb::GgufFile::open(qbtest::golden("models/llama256.f16.gguf"));
    const auto &all = source->tensors();
    const size_t parts = 3;
    for (size_t part = 0; part < parts; ++part) {
        auto meta = source->metadata();
        meta.push_back({"split.no", qb::GgufValue(uint16_t(part))});
        meta.push_back({"split.count", qb::GgufValue(uint16_t(parts))});
        meta.push_back({"split.tensors.count", qb::GgufValue(int32_t(all.size()))});
        std::vector<qb::GgufTensorPlan> plans;
        const size_t begin = part * all.size() / parts, end = (part + 1) * all.size() / parts;
        for (size_t i = begin; i < end; ++i)
            plans.push_back({all[i].name, all[i].type, all[i].nDims, all[i].ne});
        char name[64];
        std::snprintf(name, sizeof name, "in-%05zu-of-%05zu.gguf", part + 1, parts);
        qb::GgufWriter writer(dir.filePath(QString::fromLatin1(name)).toStdString(), meta, plans);
        for (size_t i = begin; i < end; ++i)
            writer.writeTensor(source->tensorData(all[i]));
        writer.commit();
    }
    const auto model = qb::GgufModel::open(dir.filePath(QStringLiteral("in-00002-of-00003.gguf")).toStdString());
    QCOMPARE(model->splitCount(), parts);
    qb::QuantizeOptions options;
    options.keepSplit = true;
    const auto mix = qb::decideMix(*model, *qb::findQuantLabel("Q4_K_M"), options, nullptr);
    QCOMPARE(mix.tensors.size(), all.size());
    for (size_t i = 0; i < mix.tensors.size(); ++i)
        QCOMPARE(mix.tensors[i].name, all[i].name);
    const auto outputs =
        qb::buildSplitPlans(*model, mix, nullptr, {}, dir.filePath(QStringLiteral("out.gguf")).toStdString());
    QCOMPARE(outputs.size(), parts);
    QCOMPARE(outputs[2].path.filename().string(), std::string("out-00003-of-00003.gguf"));

    std::map<std::string, std::string> shaByName, typeByName;
    const auto manifest = qbtest::readJson("mixes/llama256.f16/Q4_K_M.json");
    for (const auto &t : manifest["tensors"]) {
        shaByName[t["name"].get<std::string>()] = t["sha256"].get<std::string>();
        typeByName[t["name"].get<std::string>()] = t["type"].get<std::string>();
    }
    size_t seen = 0;
    for (size_t part = 0; part < parts; ++part) {
        qb::PipelineOptions po;
        po.threads = 2;
        qb::runQuantization(*model, outputs[part].plan, outputs[part].path, po);
        const auto written = qb::GgufFile::open(outputs[part].path);
        QCOMPARE(written->findInt("split.no"), std::optional<int64_t>(int64_t(part)));
        QCOMPARE(written->findInt("split.count"), std::optional<int64_t>(int64_t(parts)));
        QCOMPARE(written->findInt("split.tensors.count"), std::optional<int64_t>(int64_t(all.size())));
        QCOMPARE(written->metadata().back().key, std::string("split.tensors.count"));
        for (const auto &t : written->tensors()) {
            const auto data = written->tensorData(t);
            QVERIFY2(shaByName.count(t.name), t.name.c_str());
            QCOMPARE(qbtest::upperType(t.type), typeByName.at(t.name));
            QCOMPARE(qbtest::sha256Hex(data.data(), data.size()).toStdString(), shaByName.at(t.name));
            ++seen;
        }
    }
    QCOMPARE(seen, all.size());
    // The whole set opens again as one model.
    QCOMPARE(qb::GgufModel::open(outputs[0].path)->tensors().size(), all.size());
}

QTEST_GUILESS_MAIN(TestQuantizeMixes)
#include "tst_quantize_mixes.moc"
