// Presets and importance-matrix formats: a preset survives save/load unchanged, validation names
// the bad field, a preset restating a label gives that label's plan and file, the exported
// llama-quantize command says the same thing; the GGUF imatrix loads to the .dat's exact values.
#include "file_size_limit.h"
#include "golden.h"

#include "error.h"
#include "imatrix/importance_matrix.h"
#include "kernels/kernels.h"
#include "mix/mix_rules.h"
#include "mix/plan_builder.h"
#include "mix/plan_from_preset.h"
#include "mix/preset.h"
#include "mix/quant_label.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <fstream>
#include <map>
#include <regex>

namespace {

qb::MixPreset samplePreset() {
    qb::MixPreset p;
    p.baseLabel = "Q4_K_M";
    p.rules = {{"ffn_down", qb::GgmlType::Q6_K}, {"blk\\.[0-3]\\.attn_q", qb::GgmlType::Q5_K}};
    p.tensorTypes = {{"blk.7.attn_v.weight", qb::GgmlType::Q8_0}};
    p.outputTensorType = qb::GgmlType::Q8_0;
    p.tokenEmbeddingType = qb::GgmlType::Q4_K;
    p.leaveOutputTensor = false;
    p.imatrixFile = "imatrix/llama256.f16.imatrix.dat";
    p.excludeWeights = {"attn_k"};
    p.notes = "café: keeps \"quotes\" and newlines\nintact";
    return p;
}

std::string planSignature(const qb::ExecutionPlan &plan) {
    std::string s;
    for (const auto &t : plan.tensors)
        s += std::to_string(t.source) + ":" + qb::typeName(t.target) + ":" + std::to_string(t.importance.size()) + ";";
    for (const auto &kv : plan.metadata)
        s += kv.key + "=" + kv.value.toDisplayString() + ";";
    return s;
}

} // namespace

class TestMixPresets : public QObject {
    Q_OBJECT
  private slots:
    void roundTrip();
    void failedSaveLeavesThePreviousPreset();
    void validationNamesTheField_data();
    void validationNamesTheField();
    void presetRestatingALabelGivesTheSamePlan();
    void presetRestatingALabelGivesTheSameFile();
    void explicitTensorTypesWinOverRules();
    void llamaQuantizeCommand();
    void pruneLayersRoundTrip();
    void ggufImatrixEqualsDat_data();
    void ggufImatrixEqualsDat();
    void kvOverrides();
    void imatrixMetadataAsQuantizeWritesIt();
};

void TestMixPresets::roundTrip() {
    const qb::MixPreset p = samplePreset();
    QTemporaryDir dir;
    const std::filesystem::path path = dir.filePath(QStringLiteral("p.json")).toStdString();
    p.save(path);
    const qb::MixPreset q = qb::MixPreset::load(path);
    QCOMPARE(q.toJson(), p.toJson());
    QCOMPARE(q.baseLabel, p.baseLabel);
    QCOMPARE(q.rules.size(), size_t(2));
    QCOMPARE(q.rules[1].pattern, p.rules[1].pattern);
    QCOMPARE(q.rules[1].type, qb::GgmlType::Q5_K);
    QCOMPARE(q.tensorTypes, p.tensorTypes);
    QCOMPARE(q.outputTensorType, p.outputTensorType);
    QCOMPARE(q.tokenEmbeddingType, p.tokenEmbeddingType);
    QCOMPARE(q.imatrixFile, p.imatrixFile);
    QCOMPARE(q.excludeWeights, p.excludeWeights);
    QCOMPARE(q.notes, p.notes);
    // A minimal hand-written preset is enough.
    const auto minimal = qb::MixPreset::fromJson(R"({"format":"quantbench-preset","version":1,"base_label":"q5_k_s"})");
    QCOMPARE(std::string(minimal.label().name), std::string("Q5_K_S"));
    QVERIFY(minimal.rules.empty() && !minimal.outputTensorType);
}

// A save that fails half-way (here: the file size limit, as a full disk) throws naming the file
// and leaves the preset that was there whole; a missing folder is bad input, also named.
void TestMixPresets::failedSaveLeavesThePreviousPreset() {
    QTemporaryDir dir;
    const std::filesystem::path path = dir.filePath(QStringLiteral("p.json")).toStdString();
    qb::MixPreset old = samplePreset();
    old.save(path);
    const std::string before = old.toJson();
    qb::MixPreset bigger = old;
    bigger.notes = std::string(4096, 'n');
    try {
        const qbtest::FileSizeLimit limit(before.size() / 2);
        bigger.save(path);
        QFAIL("a save over the file size limit did not fail");
    } catch (const qb::Error &e) {
        QVERIFY2(std::string(e.what()).find(path.string()) != std::string::npos, e.what());
        QCOMPARE(e.kind(), qb::ErrorKind::Runtime);
    }
    std::ifstream in(path, std::ios::binary);
    const std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    QCOMPARE(after, before);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{QStringLiteral("p.json")});

    const std::filesystem::path nowhere = dir.filePath(QStringLiteral("missing/p.json")).toStdString();
    try {
        old.save(nowhere);
        QFAIL("a save into a missing folder did not fail");
    } catch (const qb::Error &e) {
        QVERIFY2(std::string(e.what()).find(nowhere.string()) != std::string::npos, e.what());
        QCOMPARE(e.kind(), qb::ErrorKind::BadInput);
    }
}

void TestMixPresets::validationNamesTheField_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("field");
    const QString head = QStringLiteral(R"("format":"quantbench-preset","version":1,)");
    QTest::newRow("not json") << QStringLiteral("{") << QStringLiteral("not valid JSON");
    QTest::newRow("format") << QStringLiteral(R"({"format":"x","version":1,"base_label":"Q4_0"})")
                            << QStringLiteral("format");
    // A preset for Q4_0 whose version field is `version` as written.
    const auto withVersion = [](const char *version) {
        return QStringLiteral(R"({"format":"quantbench-preset","version":%1,"base_label":"Q4_0"})").arg(QLatin1String(version));
    };
    QTest::newRow("version") << withVersion("9") << QStringLiteral("version: version 9");
    // Numbers that an int conversion would truncate to 1.
    QTest::newRow("version 2^32+1") << withVersion("4294967297")
                                    << QStringLiteral("version: version 4294967297 is not supported");
    QTest::newRow("version -(2^32-1)") << withVersion("-4294967295")
                                       << QStringLiteral("version: version -4294967295 is not supported");
    QTest::newRow("version 0") << withVersion("0") << QStringLiteral("version: version 0 is not supported");
    QTest::newRow("version 1.5") << withVersion("1.5") << QStringLiteral("version: expected number");
    QTest::newRow("no label") << QStringLiteral(R"({"format":"quantbench-preset","version":1})")
                              << QStringLiteral("base_label: missing");
    QTest::newRow("label") << (QStringLiteral("{") + head + QStringLiteral(R"("base_label":"Q9_K"})"))
                           << QStringLiteral("base_label: unknown label");
    QTest::newRow("rule type")
        << (QStringLiteral("{") + head +
            QStringLiteral(
                R"("base_label":"Q4_0","rules":[{"pattern":"a","type":"Q4_0"},{"pattern":"b","type":"Q9"}]})"))
        << QStringLiteral("rules[1].type");
    QTest::newRow("rule regex") << (QStringLiteral("{") + head +
                                    QStringLiteral(R"("base_label":"Q4_0","rules":[{"pattern":"([","type":"Q4_0"}]})"))
                                << QStringLiteral("rules[0].pattern");
    QTest::newRow("tensor type") << (QStringLiteral("{") + head +
                                     QStringLiteral(R"("base_label":"Q4_0","tensor_types":{"output.weight":7}})"))
                                 << QStringLiteral("tensor_types.output.weight");
    QTest::newRow("flag") << (QStringLiteral("{") + head + QStringLiteral(R"("base_label":"Q4_0","pure":"yes"})"))
                          << QStringLiteral("pure: expected boolean");
    QTest::newRow("typo") << (QStringLiteral("{") + head + QStringLiteral(R"("base_label":"Q4_0","rulez":[]})"))
                          << QStringLiteral("rulez: unknown field");
    QTest::newRow("imatrix") << (QStringLiteral("{") + head +
                                 QStringLiteral(R"("base_label":"Q4_0","imatrix":{"include_weights":[""]}})"))
                             << QStringLiteral("imatrix.include_weights[0]");
    QTest::newRow("both weight lists")
        << (QStringLiteral("{") + head +
            QStringLiteral(R"("base_label":"Q4_0","imatrix":{"include_weights":["a"],"exclude_weights":["b"]}})"))
        << QStringLiteral("imatrix.include_weights: cannot be combined");
    const QString r2026 = QStringLiteral(R"("rule_set":"2026-09","base_label":"Q4_0",)");
    QTest::newRow("prune_layers under b4748") << (QStringLiteral("{") + head +
                                                  QStringLiteral(R"("base_label":"Q4_0","prune_layers":[1]})"))
                                              << QStringLiteral("prune_layers: needs rule_set 2026-09");
    QTest::newRow("prune_layers negative") << (QStringLiteral("{") + head + r2026 + QStringLiteral(R"("prune_layers":[-1]})"))
                                           << QStringLiteral("prune_layers[0]: expected a layer number");
    QTest::newRow("prune_layers text") << (QStringLiteral("{") + head + r2026 + QStringLiteral(R"("prune_layers":[1,"2"]})"))
                                       << QStringLiteral("prune_layers[1]: expected a layer number");
    QTest::newRow("prune_layers unsorted") << (QStringLiteral("{") + head + r2026 + QStringLiteral(R"("prune_layers":[3,1]})"))
                                           << QStringLiteral("prune_layers[1]: layer numbers must be in increasing order");
    QTest::newRow("prune_layers twice") << (QStringLiteral("{") + head + r2026 + QStringLiteral(R"("prune_layers":[1,1]})"))
                                        << QStringLiteral("prune_layers[1]");
    QTest::newRow("prune_layers object") << (QStringLiteral("{") + head + r2026 + QStringLiteral(R"("prune_layers":{}})"))
                                         << QStringLiteral("prune_layers: expected array");
}

void TestMixPresets::validationNamesTheField() {
    QFETCH(QString, json);
    QFETCH(QString, field);
    try {
        qb::MixPreset::fromJson(json.toStdString(), "p.json");
        QFAIL("accepted");
    } catch (const qb::Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(field), e.what());
        QVERIFY(QString::fromUtf8(e.what()).startsWith(QLatin1String("p.json: ")));
    }
}

void TestMixPresets::presetRestatingALabelGivesTheSamePlan() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    const auto im = std::make_shared<const qb::ImportanceMatrix>(
        qb::ImportanceMatrix::load(qbtest::golden("imatrix/llama256.f16.imatrix.dat")));
    for (const auto &label : qb::allQuantLabels()) {
        if (label.copyOnly) continue;
        qb::MixPreset p;
        p.baseLabel = label.name;
        p.imatrixFile = "imatrix/llama256.f16.imatrix.dat";
        const auto again = qb::MixPreset::fromJson(p.toJson());
        const auto fromLabel = qb::decideMix(*model, label, {}, im.get());
        qb::PlanOptions po;
        po.imatrixFile = again.imatrixFile;
        QCOMPARE(planSignature(qb::planFromPreset(*model, again, im).plan),
                 planSignature(qb::buildExecutionPlan(*model, fromLabel, im, po)));
    }
}

void TestMixPresets::presetRestatingALabelGivesTheSameFile() {
    // Byte-for-byte through the pipeline; uses a label whose kernels exist in this build.
    const char *label = nullptr;
    for (const char *candidate : {"Q4_K_M", "Q8_0", "F16"}) {
        const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
        const auto mix = qb::decideMix(*model, *qb::findQuantLabel(candidate), {}, nullptr);
        if (std::all_of(mix.tensors.begin(), mix.tensors.end(),
                        [](const auto &d) { return d.target == d.source || qb::canQuantize(d.target); })) {
            label = candidate;
            break;
        }
    }
    QVERIFY(label);
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    const auto manifest = std::string("mixes/llama256.f16/") + label + ".json";
    qb::MixPreset p;
    p.baseLabel = label;
    QTemporaryDir dir;
    const std::filesystem::path presetPath = dir.filePath(QStringLiteral("p.json")).toStdString();
    p.save(presetPath);
    const auto loaded = qb::MixPreset::load(presetPath);
    const auto mix = qb::decideMix(*model, loaded.label(), loaded.toOptions(), nullptr);
    const auto plan = qb::buildExecutionPlan(*model, mix, nullptr, {});
    const std::filesystem::path out = dir.filePath(QStringLiteral("out.gguf")).toStdString();
    qb::PipelineOptions po;
    po.threads = 2;
    qb::runQuantization(*model, plan, out, po);
    const auto written = qb::GgufFile::open(out);
    std::ifstream in(qbtest::golden(manifest));
    const auto want = nlohmann::json::parse(in);
    QCOMPARE(written->tensors().size(), want["tensors"].size());
    for (size_t i = 0; i < written->tensors().size(); ++i) {
        const auto data = written->tensorData(written->tensors()[i]);
        QCOMPARE(qbtest::sha256Hex(data.data(), data.size()).toStdString(),
                 want["tensors"][i]["sha256"].get<std::string>());
    }
    QCOMPARE(written->fileSize(), want["file_bytes"].get<uint64_t>());
}

void TestMixPresets::explicitTensorTypesWinOverRules() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    qb::MixPreset p;
    p.baseLabel = "Q4_K_M";
    p.rules = {{"attn_v", qb::GgmlType::Q4_0}};
    p.tensorTypes = {{"blk.2.attn_v.weight", qb::GgmlType::Q8_0}};
    const auto mix = qb::decideMix(*model, p.label(), p.toOptions(), nullptr);
    for (const auto &d : mix.tensors) {
        if (d.name == "blk.2.attn_v.weight")
            QCOMPARE(d.target, qb::GgmlType::Q8_0);
        else if (d.name.find("attn_v") != std::string::npos)
            QCOMPARE(d.target, qb::GgmlType::Q4_0);
    }
    QCOMPARE(qb::exactNamePattern("blk.2.attn_v.weight"), std::string("^blk\\.2\\.attn_v\\.weight$"));
    QVERIFY(!std::regex_search("blk.2.attn_v.weightX", std::regex(qb::exactNamePattern("blk.2.attn_v.weight"))));
}

// Pruned layers are part of a 2026-09 mix: saved, loaded, passed to the rules and exported.
void TestMixPresets::pruneLayersRoundTrip() {
    qb::MixPreset p;
    p.ruleSet = qb::RuleSet::R2026_09;
    p.baseLabel = "Q4_K_M";
    p.pruneLayers = {1, 3};
    const qb::MixPreset q = qb::MixPreset::fromJson(p.toJson());
    QCOMPARE(q.pruneLayers, (std::vector<int>{1, 3}));
    QCOMPARE(q.toJson(), p.toJson());
    QVERIFY(p.toJson().find("\"prune_layers\": [\n    1,\n    3\n  ]") != std::string::npos);
    QCOMPARE(q.toOptions().pruneLayers, (std::vector<int>{1, 3}));
    QCOMPARE(q.toLlamaQuantizeCommand("in.gguf", "out.gguf"),
             std::string("llama-quantize --prune-layers 1,3 in.gguf out.gguf Q4_K_M"));
    // Without pruned layers the key is absent, so presets saved before it stay byte-equal.
    p.pruneLayers.clear();
    QVERIFY(p.toJson().find("prune_layers") == std::string::npos);
    QVERIFY(qb::MixPreset::fromJson(p.toJson()).pruneLayers.empty());
}

void TestMixPresets::llamaQuantizeCommand() {
    const qb::MixPreset p = samplePreset();
    const std::string cmd = p.toLlamaQuantizeCommand("in.gguf", "out dir/out.gguf", 4);
    QCOMPARE(cmd, std::string("llama-quantize --imatrix imatrix/llama256.f16.imatrix.dat --exclude-weights attn_k "
                              "--output-tensor-type q8_0 --token-embedding-type q4_K "
                              "--tensor-type '^blk\\.7\\.attn_v\\.weight$=q8_0' --tensor-type ffn_down=q6_K "
                              "--tensor-type 'blk\\.[0-3]\\.attn_q=q5_K' in.gguf 'out dir/out.gguf' Q4_K_M 4"));
    qb::MixPreset plain;
    plain.baseLabel = "q8_0";
    plain.pure = true;
    QCOMPARE(plain.toLlamaQuantizeCommand("a.gguf", "b.gguf"), std::string("llama-quantize --pure a.gguf b.gguf Q8_0"));
}

void TestMixPresets::ggufImatrixEqualsDat_data() {
    QTest::addColumn<QString>("model");
    QTest::newRow("llama256.f16") << QStringLiteral("llama256.f16");
    QTest::newRow("stories260K.f32") << QStringLiteral("stories260K.f32");
}

void TestMixPresets::ggufImatrixEqualsDat() {
    QFETCH(QString, model);
    const auto dat = qb::ImportanceMatrix::load(qbtest::golden("imatrix/" + model.toStdString() + ".imatrix.dat"));
    const auto gguf = qb::ImportanceMatrix::load(qbtest::golden("imatrix/" + model.toStdString() + ".imatrix.gguf"));
    QCOMPARE(gguf.entries().size(), dat.entries().size());
    for (const auto &[name, values] : dat.entries()) {
        const auto *other = gguf.find(name);
        QVERIFY2(other, name.c_str());
        QCOMPARE(other->size(), values.size());
        QVERIFY2(std::memcmp(other->data(), values.data(), values.size() * 4) == 0, name.c_str());
    }
    QCOMPARE(gguf.chunkCount(), dat.chunkCount());
    QVERIFY(!gguf.dataset().empty());
    // Same importance data, same decisions and spans: the same tensor bytes follow.
    const auto m = qb::GgufModel::open(qbtest::golden("models/" + model.toStdString() + ".gguf"));
    const auto &label = *qb::findQuantLabel("IQ3_XXS");
    const auto a = qb::buildExecutionPlan(*m, qb::decideMix(*m, label, {}, &dat),
                                          std::make_shared<const qb::ImportanceMatrix>(dat), {});
    const auto b = qb::buildExecutionPlan(*m, qb::decideMix(*m, label, {}, &gguf),
                                          std::make_shared<const qb::ImportanceMatrix>(gguf), {});
    QCOMPARE(a.tensors.size(), b.tensors.size());
    for (size_t i = 0; i < a.tensors.size(); ++i) {
        QCOMPARE(a.tensors[i].target, b.tensors[i].target);
        QVERIFY(std::equal(a.tensors[i].importance.begin(), a.tensors[i].importance.end(),
                           b.tensors[i].importance.begin(), b.tensors[i].importance.end()));
    }
    // A GGUF that is not an importance matrix is refused by name.
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::ImportanceMatrix::load(qbtest::golden("models/tiny.f16.gguf")));
}

void TestMixPresets::kvOverrides() {
    const auto i = qb::parseKvOverride("llama.context_length=int:4096");
    QCOMPARE(i.key, std::string("llama.context_length"));
    QCOMPARE(i.value.type(), qb::GgufValueType::Int32);
    QCOMPARE(*i.value.toInt(), int64_t(4096));
    QCOMPARE(qb::parseKvOverride("a.b=float:0.5").value.type(), qb::GgufValueType::Float32);
    QCOMPARE(qb::parseKvOverride("a.b=bool:true").value.type(), qb::GgufValueType::Bool);
    QCOMPARE(*qb::parseKvOverride("general.name=str:my model").value.string(), std::string("my model"));
    for (const char *bad : {"noequals", "=int:1", "a=int:x", "a=bool:yes", "a=blob:1", "a=int:99999999999"})
        QVERIFY_THROWS_EXCEPTION(qb::Error, qb::parseKvOverride(bad));

    // Overrides replace a key and move it to the end, as gguf_set_val does; split keys go.
    const auto model = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
    qb::PlanOptions po;
    po.kvOverrides = {qb::parseKvOverride("general.name=str:renamed")};
    const auto plan =
        qb::buildExecutionPlan(*model, qb::decideMix(*model, *qb::findQuantLabel("Q8_0"), {}, nullptr), nullptr, po);
    QCOMPARE(plan.metadata.back().key, std::string("general.name"));
    QCOMPARE(plan.metadata[plan.metadata.size() - 2].key, std::string("general.file_type"));
    QCOMPARE(plan.metadata[plan.metadata.size() - 3].key, std::string("general.quantization_version"));
    QCOMPARE(plan.metadata.size(), model->metadata().size() + 1);
}

void TestMixPresets::imatrixMetadataAsQuantizeWritesIt() {
    // quantize.cpp writes the quantize.imatrix.* keys only when importance data is left after
    // --include/--exclude-weights, and holds the file name and dataset in char[128].
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    const auto im = std::make_shared<const qb::ImportanceMatrix>(
        qb::ImportanceMatrix::load(qbtest::golden("imatrix/llama256.f16.imatrix.dat")));
    const auto &label = *qb::findQuantLabel("Q4_K_M");
    auto imatrixKeys = [](const qb::ExecutionPlan &plan) {
        std::map<std::string, std::string> keys;
        for (const auto &kv : plan.metadata)
            if (kv.key.rfind("quantize.imatrix.", 0) == 0) keys[kv.key] = kv.value.toDisplayString();
        return keys;
    };
    qb::PlanOptions po;
    po.imatrixFile = std::string(100, 'd') + "/" + std::string(100, 'f') + ".dat";
    const auto plan = qb::buildExecutionPlan(*model, qb::decideMix(*model, label, {}, im.get()), im, po);
    const auto keys = imatrixKeys(plan);
    QCOMPARE(keys.size(), size_t(4));
    const qb::GgufValue *file = nullptr;
    for (const auto &kv : plan.metadata)
        if (kv.key == "quantize.imatrix.file") file = &kv.value;
    QVERIFY(file && file->string());
    QCOMPARE(*file->string(), po.imatrixFile.substr(0, 127));

    qb::QuantizeOptions none;
    none.includeWeights = {"no_such_tensor"};
    const auto empty = std::make_shared<const qb::ImportanceMatrix>(qb::filterImportance(*im, none));
    QVERIFY(empty->entries().empty());
    const auto planWithout = qb::buildExecutionPlan(*model, qb::decideMix(*model, label, none, empty.get()), empty, po);
    QVERIFY(imatrixKeys(planWithout).empty());
}

QTEST_GUILESS_MAIN(TestMixPresets)
#include "tst_mix_presets.moc"
