// planFromPreset(), the one function the CLI and the GUI turn a preset into a plan with: for every
// run golden/status.json records, a preset of that label (rule set b4748, --pure, the run's
// importance matrix) plans exactly llama-quantize's tensors, types and quantize.* metadata, and
// refuses what it refused. The plan shares its importance data: the matrix lives exactly as long
// as a plan that uses it.
#include "mix_golden_runs.h"

#include "error.h"
#include "imatrix/importance_matrix.h"
#include "mix/plan_from_preset.h"

#include <QtTest>

#include <memory>
#include <optional>

namespace {

qb::MixPreset presetFor(const qbtest::GoldenRun &run) {
    qb::MixPreset p;
    p.ruleSet = qb::RuleSet::B4748;
    p.baseLabel = run.label;
    p.pure = run.pure;
    if (!run.imatrix.empty()) p.imatrixFile = qbtest::golden(run.imatrix).string();
    return p;
}

std::shared_ptr<const qb::ImportanceMatrix> loadFor(const qb::MixPreset &preset) {
    if (preset.imatrixFile.empty()) return nullptr;
    return std::make_shared<const qb::ImportanceMatrix>(qb::ImportanceMatrix::load(preset.imatrixFile));
}

const qb::GgufValue *metadataValue(const qb::ExecutionPlan &plan, const std::string &key) {
    for (const auto &kv : plan.metadata)
        if (kv.key == key) return &kv.value;
    return nullptr;
}

} // namespace

class TestPlanFromPreset : public QObject {
    Q_OBJECT
  private slots:
    void goldenRuns_data();
    void goldenRuns();
    void planOwnsItsImportance();
    void includeExcludeNarrowTheMatrix();
    void keepSplitAndRunOptions();
    void presetForAnotherModelIsRefused();
};

void TestPlanFromPreset::goldenRuns_data() {
    QTest::addColumn<int>("index");
    const auto runs = qbtest::goldenRuns();
    for (size_t i = 0; i < runs.size(); ++i) QTest::newRow(runs[i].key.c_str()) << int(i);
}

void TestPlanFromPreset::goldenRuns() {
    QFETCH(int, index);
    const auto run = qbtest::goldenRuns()[size_t(index)];
    const auto model = qb::GgufModel::open(qbtest::golden(run.model));
    const qb::MixPreset preset = presetFor(run);
    if (run.refused()) {
        try {
            qb::planFromPreset(*model, preset, loadFor(preset));
            QFAIL(qPrintable(QString::fromStdString("not refused; llama-quantize: " + run.status)));
        } catch (const qb::Error &e) {
            QVERIFY2(std::string(e.what()).find(run.refusalPhrase()) != std::string::npos, e.what());
        }
        return;
    }
    QVERIFY2(run.hasExpected(), run.expected.c_str());
    const qb::PresetPlan planned = qb::planFromPreset(*model, preset, loadFor(preset));
    const auto expected = qbtest::expectedTensors(run);
    QCOMPARE(planned.plan.tensors.size(), expected.size());
    QVERIFY(planned.splits.empty());
    for (size_t i = 0; i < expected.size(); ++i) {
        const qb::PlannedTensor &t = planned.plan.tensors[i];
        const std::string &name = model->tensors()[t.source].info->name;
        const std::string where = run.key + " #" + std::to_string(i) + " " + expected[i].name;
        QVERIFY2(name == expected[i].name, (where + ": got " + name).c_str());
        QVERIFY2(qbtest::upperType(t.target) == expected[i].type,
                 (where + ": got " + qbtest::upperType(t.target) + " want " + expected[i].type).c_str());
        QCOMPARE(t.target, planned.mix.tensors[i].target);
    }
    // The importance data: shared by the plan, the matrix the mix used.
    QCOMPARE(planned.plan.importanceOwner.get(), static_cast<const void *>(planned.importance.get()));
    QCOMPARE(bool(planned.importance), !run.imatrix.empty());
    if (run.pure) return;
    // The header llama-quantize wrote: file type and the importance matrix's description.
    const auto kv = qbtest::readJson(run.expected)["kv"];
    const qb::GgufValue *fileType = metadataValue(planned.plan, "general.file_type");
    QVERIFY(fileType);
    QCOMPARE(*fileType->toInt(), kv["general.file_type"].get<int64_t>());
    for (const char *key : {"quantize.imatrix.entries_count", "quantize.imatrix.chunks_count"}) {
        const qb::GgufValue *value = metadataValue(planned.plan, key);
        QCOMPARE(bool(value), kv.contains(key));
        if (value) QCOMPARE(*value->toInt(), kv[key].get<int64_t>());
    }
    const qb::GgufValue *dataset = metadataValue(planned.plan, "quantize.imatrix.dataset");
    QCOMPARE(bool(dataset), kv.contains("quantize.imatrix.dataset"));
    if (dataset) QCOMPARE(*dataset->string(), kv["quantize.imatrix.dataset"].get<std::string>());
}

void TestPlanFromPreset::planOwnsItsImportance() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    qb::MixPreset preset;
    preset.baseLabel = "IQ3_XXS";
    preset.imatrixFile = qbtest::golden("imatrix/llama256.f16.imatrix.dat").string();
    const auto reference = qb::ImportanceMatrix::load(preset.imatrixFile);
    std::weak_ptr<const qb::ImportanceMatrix> watch;
    std::optional<qb::ExecutionPlan> plan;
    {
        auto loaded = loadFor(preset);
        watch = loaded;
        plan = qb::planFromPreset(*model, preset, std::move(loaded)).plan;
    }
    // Nobody but the plan (and a copy of it) holds the matrix now; its spans still read its values.
    QVERIFY(!watch.expired());
    const qb::ExecutionPlan copy = *plan;
    plan.reset();
    QVERIFY(!watch.expired());
    size_t withImportance = 0;
    for (const qb::PlannedTensor &t : copy.tensors) {
        if (t.importance.empty()) continue;
        ++withImportance;
        const auto *values = reference.find(model->tensors()[t.source].info->name);
        QVERIFY(values);
        QVERIFY(std::equal(t.importance.begin(), t.importance.end(), values->begin(), values->end()));
    }
    QVERIFY(withImportance > 10);
    // A plan without importance data holds none.
    qb::MixPreset plain = preset;
    plain.baseLabel = "Q4_K_M";
    plain.imatrixFile.clear();
    QVERIFY(!qb::planFromPreset(*model, plain, nullptr).plan.importanceOwner);
}

void TestPlanFromPreset::includeExcludeNarrowTheMatrix() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    qb::MixPreset preset;
    preset.baseLabel = "Q4_K_M";
    preset.imatrixFile = qbtest::golden("imatrix/llama256.f16.imatrix.dat").string();
    const auto loaded = loadFor(preset);
    // Without patterns the loaded matrix itself is used (outputs share it); with them, a narrowed copy.
    QCOMPARE(qb::planFromPreset(*model, preset, loaded).importance, loaded);
    preset.includeWeights = {"ffn_down"};
    const qb::PresetPlan narrowed = qb::planFromPreset(*model, preset, loaded);
    QVERIFY(narrowed.importance != loaded);
    QVERIFY(!narrowed.importance->entries().empty());
    for (const auto &[name, values] : narrowed.importance->entries())
        QVERIFY2(name.find("ffn_down") != std::string::npos, name.c_str());
    for (const qb::PlannedTensor &t : narrowed.plan.tensors)
        if (!t.importance.empty())
            QVERIFY(model->tensors()[t.source].info->name.find("ffn_down") != std::string::npos);
    QCOMPARE(*metadataValue(narrowed.plan, "quantize.imatrix.entries_count")->toInt(),
             int64_t(narrowed.importance->entries().size()));
}

void TestPlanFromPreset::keepSplitAndRunOptions() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    qb::MixPreset preset;
    preset.baseLabel = "Q4_K_M";
    qb::PresetRunOptions run;
    run.keepSplitOutput = "/nowhere/out.gguf";
    run.kvOverrides = {qb::parseKvOverride("general.name=str:renamed")};
    const qb::PresetPlan split = qb::planFromPreset(*model, preset, nullptr, run);
    QVERIFY(split.plan.tensors.empty());
    QCOMPARE(split.splits.size(), size_t(1));
    QCOMPARE(split.splits[0].path, std::filesystem::path("/nowhere/out-00001-of-00001.gguf"));
    QCOMPARE(split.splits[0].plan.tensors.size(), split.mix.tensors.size());
    QCOMPARE(*metadataValue(split.splits[0].plan, "general.name")->string(), std::string("renamed"));
    // A preset's prune_layers (2026-09, --prune-layers) drops a layer and renumbers the rest.
    preset.ruleSet = qb::RuleSet::R2026_09;
    const qb::PresetPlan whole = qb::planFromPreset(*model, preset, nullptr);
    preset.pruneLayers = {1};
    const qb::PresetPlan pruned = qb::planFromPreset(*model, preset, nullptr);
    QVERIFY(pruned.plan.tensors.size() < whole.plan.tensors.size());
    QCOMPARE(pruned.mix.blockCount, 7);
}

void TestPlanFromPreset::presetForAnotherModelIsRefused() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
    qb::MixPreset preset;
    preset.baseLabel = "Q4_K_M";
    preset.tensorTypes["blk.7.ffn_up.weight"] = qb::GgmlType::Q8_0;
    try {
        qb::planFromPreset(*model, preset, nullptr);
        QFAIL("a tensor_types entry for a tensor the model lacks was accepted");
    } catch (const qb::Error &e) {
        QVERIFY2(std::string(e.what()).find("blk.7.ffn_up.weight") != std::string::npos, e.what());
        QCOMPARE(e.kind(), qb::ErrorKind::BadInput);
    }
}

QTEST_GUILESS_MAIN(TestPlanFromPreset)
#include "tst_plan_from_preset.moc"
