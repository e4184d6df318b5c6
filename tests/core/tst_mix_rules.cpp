// The mix rules against llama-quantize: for every run golden/status.json records, the decided
// tensor list (order, names, shapes, types) equals llama-quantize's output, and every run it
// refused is refused with its reason. No kernels are involved.
#include "mix_golden_runs.h"

#include "error.h"
#include "gguf/gguf_writer.h"
#include "imatrix/importance_matrix.h"
#include "mix/mix_rules.h"
#include "mix/quant_label.h"

#include <QTemporaryDir>
#include <QtTest>

#include <optional>

namespace {

qb::MixDecision decide(const qbtest::GoldenRun &run, std::optional<qb::ImportanceMatrix> &imatrix) {
    const auto model = qb::GgufModel::open(qbtest::golden(run.model));
    const qb::QuantLabel *label = qb::findQuantLabel(run.label);
    if (!label) throw std::runtime_error("unknown label " + run.label);
    qb::QuantizeOptions options;
    options.pure = run.pure;
    if (!run.imatrix.empty())
        imatrix = qb::filterImportance(qb::ImportanceMatrix::load(qbtest::golden(run.imatrix)), options);
    return qb::decideMix(*model, *label, options, imatrix ? &*imatrix : nullptr);
}

// A header-and-zeros model with just what the rules read: architecture, layer and head counts,
// token_embd, optionally output.weight, and one attn_v per layer (256 wide, F16).
auto syntheticModel(const QTemporaryDir &dir, const std::string &arch, int layers,
                    int heads, int kvHeads, bool withOutput) {
    const std::string p = arch + ".";
    std::vector<qb::GgufKeyValue> meta = {
        {"general.architecture", qb::GgufValue(arch)},
        {p + "block_count", qb::GgufValue(uint32_t(layers))},
        {p + "attention.head_count", qb::GgufValue(uint32_t(heads))},
        {p + "attention.head_count_kv", qb::GgufValue(uint32_t(kvHeads))},
    };
    std::vector<qb::GgufTensorPlan> plans;
    auto add = [&](const std::string &name, int64_t rows) {
        plans.push_back({name, qb::GgmlType::F16, 2, {256, rows, 1, 1}});
    };
    add("token_embd.weight", 32);
    if (withOutput) add("output.weight", 32);
    for (int i = 0; i < layers; ++i)
        add("blk." + std::to_string(i) + ".attn_v.weight", 8);
    const std::string path = dir.filePath(QString::fromStdString(arch + std::to_string(layers) + ".gguf")).toStdString();
    qb::GgufWriter writer(path, meta, plans);
    for (const auto &t : plans) {
        const std::vector<uint8_t> zeros(size_t(t.ne[0] * t.ne[1] * 2), 0);
        writer.writeTensor(zeros);
    }
    writer.commit();
    return qb::GgufModel::open(path);
}

qb::GgmlType typeOf(const qb::MixDecision &mix, const std::string &name) {
    for (const auto &d : mix.tensors)
        if (d.name == name) return d.target;
    throw std::runtime_error("no tensor " + name);
}

} // namespace

class TestMixRules : public QObject {
    Q_OBJECT
  private slots:
    void labelsTable();
    void decisionsMatchLlamaQuantize_data();
    void decisionsMatchLlamaQuantize();
    void everyDecisionHasAReason();
    void overridesAndOptions();
    void gqaAndExpertsChangeAttnV();
    void seventyBillionAttnV_data();
    void seventyBillionAttnV();
    void outputTypeReachesTiedEmbedding();
};

void TestMixRules::labelsTable() {
    QCOMPARE(qb::allQuantLabels().size(), size_t(36)); // 32 labels, 3 aliases, COPY
    const auto *q4km = qb::findQuantLabel("q4_k_m");
    QVERIFY(q4km);
    QCOMPARE(int(q4km->ftype), 15);
    QCOMPARE(q4km->baseType, qb::GgmlType::Q4_K);
    QVERIFY(std::string(q4km->description).find("recommended") != std::string::npos);
    QCOMPARE(qb::findQuantLabel("15"), q4km);
    QCOMPARE(&qb::resolveAlias(*qb::findQuantLabel("Q4_K")), q4km);
    QCOMPARE(qb::findQuantLabel("IQ2_S")->baseType, qb::GgmlType::IQ2_XS);
    QCOMPARE(qb::findQuantLabel("IQ2_M")->baseType, qb::GgmlType::IQ2_S);
    QCOMPARE(qb::findQuantLabel("0")->name, std::string("F32"));
    QVERIFY(qb::findQuantLabel("COPY")->copyOnly);
    QVERIFY(!qb::findQuantLabel("Q9_K"));
    QVERIFY(!qb::findQuantLabel("4")); // removed ftype
    QVERIFY(!qb::findQuantLabel(""));
}

void TestMixRules::decisionsMatchLlamaQuantize_data() {
    QTest::addColumn<int>("index");
    const auto runs = qbtest::goldenRuns();
    for (size_t i = 0; i < runs.size(); ++i)
        QTest::newRow(runs[i].key.c_str()) << int(i);
}

void TestMixRules::decisionsMatchLlamaQuantize() {
    QFETCH(int, index);
    const auto run = qbtest::goldenRuns()[size_t(index)];
    std::optional<qb::ImportanceMatrix> imatrix;
    if (run.refused()) {
        const std::string phrase = run.refusalPhrase();
        try {
            decide(run, imatrix);
            QFAIL(qPrintable(QString::fromStdString("not refused; llama-quantize: " + run.status)));
        } catch (const qb::Error &e) {
            QVERIFY2(
                std::string(e.what()).find(phrase) != std::string::npos,
                qPrintable(QString::fromStdString(std::string("message '") + e.what() + "' lacks '" + phrase + "'")));
            QCOMPARE(e.kind(), qb::ErrorKind::BadInput);
        }
        return;
    }
    QVERIFY2(run.hasExpected(), run.expected.c_str());
    const auto expected = qbtest::expectedTensors(run);
    const auto model = qb::GgufModel::open(qbtest::golden(run.model));
    const qb::MixDecision mix = decide(run, imatrix);
    QCOMPARE(mix.tensors.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        const auto &d = mix.tensors[i];
        const auto &info = *model->tensors()[d.tensor].info;
        const std::string where = run.key + " #" + std::to_string(i) + " " + expected[i].name;
        QVERIFY2(d.name == expected[i].name, (where + ": got " + d.name).c_str());
        QVERIFY2(qbtest::upperType(d.target) == expected[i].type,
                 (where + ": got " + qbtest::upperType(d.target) + " want " + expected[i].type + " (" + d.reason + ")")
                     .c_str());
        QCOMPARE(std::vector<int64_t>(info.ne.begin(), info.ne.begin() + info.nDims), expected[i].shape);
    }
    if (!run.pure) {
        const auto manifest = qbtest::readJson(run.expected);
        QCOMPARE(mix.fileType, manifest["kv"]["general.file_type"].get<int>());
    }
}

void TestMixRules::everyDecisionHasAReason() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    const auto mix = qb::decideMix(*model, *qb::findQuantLabel("Q4_K_M"), {}, nullptr);
    for (const auto &d : mix.tensors)
        QVERIFY2(!d.reason.empty(), d.name.c_str());
    auto find = [&](const std::string &name) {
        return *std::find_if(mix.tensors.begin(), mix.tensors.end(), [&](const auto &d) { return d.name == name; });
    };
    QVERIFY(find("blk.0.attn_v.weight").reason.find("use_more_bits") != std::string::npos);
    QVERIFY(find("blk.0.attn_norm.weight").reason.find("1-D") != std::string::npos);
    QCOMPARE(mix.mixEntries().size(), mix.tensors.size());

    const auto stories = qb::GgufModel::open(qbtest::golden("models/stories260K.f32.gguf"));
    const auto smix = qb::decideMix(*stories, *qb::findQuantLabel("Q4_K_M"), {}, nullptr);
    QVERIFY(smix.fallbackCount > 0);
    const auto &down = *std::find_if(smix.tensors.begin(), smix.tensors.end(),
                                     [](const auto &d) { return d.name == "blk.0.ffn_down.weight"; });
    QVERIFY2(down.reason.find("row length 172") != std::string::npos, down.reason.c_str());
}

void TestMixRules::overridesAndOptions() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    const auto &label = *qb::findQuantLabel("Q4_K_M");
    auto typeOf = [](const qb::MixDecision &mix, const std::string &name) {
        for (const auto &d : mix.tensors)
            if (d.name == name) return d.target;
        throw std::runtime_error("no " + name);
    };
    qb::QuantizeOptions o;
    o.tensorTypes = {
        {"ffn_down", qb::GgmlType::Q8_0}, {"blk\\.0\\.", qb::GgmlType::Q2_K}, {"attn_.*", qb::GgmlType::Q5_K}};
    o.outputTensorType = qb::GgmlType::Q4_0;
    o.tokenEmbeddingType = qb::GgmlType::F16;
    auto mix = qb::decideMix(*model, label, o, nullptr);
    QCOMPARE(typeOf(mix, "blk.0.ffn_down.weight"), qb::GgmlType::Q8_0); // first match wins
    QCOMPARE(typeOf(mix, "blk.0.attn_q.weight"), qb::GgmlType::Q2_K);
    QCOMPARE(typeOf(mix, "blk.3.attn_q.weight"), qb::GgmlType::Q5_K);
    QCOMPARE(typeOf(mix, "blk.3.ffn_up.weight"), qb::GgmlType::Q4_K); // no pattern: label rules
    QCOMPARE(typeOf(mix, "output.weight"), qb::GgmlType::Q4_0);
    QCOMPARE(typeOf(mix, "token_embd.weight"), qb::GgmlType::F16); // already F16: copied
    for (const auto &d : mix.tensors)
        if (d.name == "blk.0.ffn_down.weight")
            QVERIFY(d.reason.find("your override ffn_down=Q8_0") != std::string::npos);

    qb::QuantizeOptions leave;
    leave.leaveOutputTensor = true;
    QCOMPARE(typeOf(qb::decideMix(*model, label, leave, nullptr), "output.weight"), qb::GgmlType::F16);

    qb::QuantizeOptions bad;
    bad.tensorTypes = {{"([", qb::GgmlType::Q8_0}};
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::decideMix(*model, label, bad, nullptr));

    // Quantized input needs --allow-requantize.
    const auto quantized = qb::GgufModel::open(qbtest::golden("pure/Q4_0.gguf"));
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::decideMix(*quantized, *qb::findQuantLabel("Q8_0"), {}, nullptr));
    qb::QuantizeOptions requant;
    requant.allowRequantize = true;
    QCOMPARE(typeOf(qb::decideMix(*quantized, *qb::findQuantLabel("Q8_0"), requant, nullptr), "blk.1.ffn_up.weight"),
             qb::GgmlType::Q8_0);

    // include/exclude filter the importance entries, as llama-quantize's prepare_imatrix does.
    const auto im = qb::ImportanceMatrix::load(qbtest::golden("imatrix/llama256.f16.imatrix.dat"));
    qb::QuantizeOptions ex;
    ex.excludeWeights = {"ffn_"};
    QCOMPARE(qb::filterImportance(im, ex).entries().size(), im.entries().size() - 3 * 8);
    qb::QuantizeOptions in;
    in.includeWeights = {"attn_v", "ffn_up"};
    QCOMPARE(qb::filterImportance(im, in).entries().size(), size_t(16));
}

void TestMixRules::gqaAndExpertsChangeAttnV() {
    // llama256 has 4 heads over 1 kv head (GQA 4): Q2_K gives attn_v Q4_K; llama288 (GQA 1) Q3_K.
    const auto gqa4 = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    const auto gqa1 = qb::GgufModel::open(qbtest::golden("models/llama288.f32.gguf"));
    const auto &label = *qb::findQuantLabel("Q2_K");
    auto attnV = [&](const qb::GgufModel &m) {
        for (const auto &d : qb::decideMix(m, label, {}, nullptr).tensors)
            if (d.name == "blk.0.attn_v.weight") return d.target;
        return qb::GgmlType::F32;
    };
    QCOMPARE(attnV(*gqa4), qb::GgmlType::Q4_K);
    QCOMPARE(attnV(*gqa1), qb::GgmlType::IQ4_NL); // Q3_K, but 288 is not a multiple of 256
}

void TestMixRules::seventyBillionAttnV_data() {
    // llama.cpp's LLM_TYPE_70B (llama-model.cpp): Q3_K_M gives attn_v past the second layer Q4_K,
    // which the 70B rule raises to Q5_K.
    QTest::addColumn<QString>("arch");
    QTest::addColumn<int>("layers");
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("kvHeads");
    QTest::addColumn<bool>("is70B");
    QTest::newRow("llama 80 GQA") << "llama" << 80 << 8 << 1 << true;
    QTest::newRow("llama 80 MHA (65B)") << "llama" << 80 << 8 << 8 << false;
    QTest::newRow("llama 64") << "llama" << 64 << 8 << 1 << false;
    QTest::newRow("qwen2 80") << "qwen2" << 80 << 8 << 8 << true;
    QTest::newRow("qwen2vl 80") << "qwen2vl" << 80 << 8 << 1 << true;
    QTest::newRow("deci 80") << "deci" << 80 << 8 << 1 << true;
    QTest::newRow("olmo 80") << "olmo" << 80 << 8 << 8 << true;
    QTest::newRow("qwen2 64") << "qwen2" << 64 << 8 << 1 << false;
    QTest::newRow("gemma2 80") << "gemma2" << 80 << 8 << 1 << false;
}

void TestMixRules::seventyBillionAttnV() {
    QFETCH(QString, arch);
    QFETCH(int, layers);
    QFETCH(int, heads);
    QFETCH(int, kvHeads);
    QFETCH(bool, is70B);
    QTemporaryDir dir;
    const auto model = syntheticModel(dir, arch.toStdString(), layers, heads, kvHeads, true);
    const auto mix = qb::decideMix(*model, *qb::findQuantLabel("Q3_K_M"), {}, nullptr);
    QCOMPARE(typeOf(mix, "blk.0.attn_v.weight"), qb::GgmlType::Q5_K);
    QCOMPARE(typeOf(mix, "blk.10.attn_v.weight"), is70B ? qb::GgmlType::Q5_K : qb::GgmlType::Q4_K);
}

void TestMixRules::outputTypeReachesTiedEmbedding() {
    // Without output.weight, llama_tensor_get_type treats token_embd as the output, so
    // --output-tensor-type applies to it; not with --pure (get_type is not called), and
    // --token-embedding-type, applied last by name, wins.
    QTemporaryDir dir;
    const auto tied = syntheticModel(dir, "llama", 2, 4, 1, false);
    const auto untied = syntheticModel(dir, "qwen2", 2, 4, 1, true);
    const auto &label = *qb::findQuantLabel("Q4_K_M");
    qb::QuantizeOptions options;
    options.outputTensorType = qb::GgmlType::Q8_0;
    QCOMPARE(typeOf(qb::decideMix(*tied, label, {}, nullptr), "token_embd.weight"), qb::GgmlType::Q6_K);
    QCOMPARE(typeOf(qb::decideMix(*tied, label, options, nullptr), "token_embd.weight"), qb::GgmlType::Q8_0);
    QCOMPARE(typeOf(qb::decideMix(*untied, label, options, nullptr), "token_embd.weight"), qb::GgmlType::Q4_K);
    QCOMPARE(typeOf(qb::decideMix(*untied, label, options, nullptr), "output.weight"), qb::GgmlType::Q8_0);
    options.pure = true;
    QCOMPARE(typeOf(qb::decideMix(*tied, label, options, nullptr), "token_embd.weight"), qb::GgmlType::Q4_K);
    options.pure = false;
    options.tokenEmbeddingType = qb::GgmlType::Q5_0;
    QCOMPARE(typeOf(qb::decideMix(*tied, label, options, nullptr), "token_embd.weight"), qb::GgmlType::Q5_0);
}

QTEST_GUILESS_MAIN(TestMixRules)
#include "tst_mix_rules.moc"
