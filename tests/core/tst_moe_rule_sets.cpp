// Both rule sets on the generated MoE test model (qwen2moe: 8 stacked experts, a shared expert,
// a router, tied embeddings). The 2026-09 files are compared byte for byte with llama.cpp itself
// in cli_llama_2026; here: the b4748 decisions its chain gives for 8 experts, what differs
// between the rule sets, and that a 3-D expert tensor quantizes to the shape it had.
#include "demo/demo_model.h"
#include "error.h"
#include "gguf/gguf_model.h"
#include "mix/mix_rules.h"
#include "mix/plan_builder.h"
#include "mix/quant_label.h"
#include "pipeline/quantize_pipeline.h"

#include <QTemporaryDir>
#include <QtTest>

#include <map>

class TestMoeRuleSets : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void b4748Decisions();
    void ruleSetsDiffer();
    void expertsQuantizeAsStacks();

private:
    QTemporaryDir m_dir;
    std::filesystem::path m_model;
};

namespace {
std::map<std::string, qb::GgmlType> decide(const qb::GgufModel &model, const char *label, qb::RuleSet rules,
                                           bool dryRun = false) {
    qb::QuantizeOptions options;
    options.rules = rules;
    options.dryRun = dryRun;
    const auto mix = qb::decideMix(model, *qb::findQuantLabel(label, rules), options, nullptr);
    std::map<std::string, qb::GgmlType> out;
    for (const auto &d : mix.tensors) out[d.name] = d.target;
    return out;
}
} // namespace

void TestMoeRuleSets::initTestCase() {
    QVERIFY(m_dir.isValid());
    m_model = m_dir.filePath(QStringLiteral("moe.f16.gguf")).toStdString();
    const auto info = qb::writeDemoModel(m_model, qb::moeTestModelSpec());
    QCOMPARE(info.tensors, 2 + 4 * 14); // token_embd, output_norm; 6 attention + 8 MoE tensors per layer
    const auto model = qb::GgufModel::open(m_model);
    const auto *exps = model->findTensor("blk.0.ffn_down_exps.weight");
    QVERIFY(exps);
    QCOMPARE(exps->info->nDims, 3u);
    QCOMPARE(exps->info->ne[2], int64_t(8));
    QVERIFY(!model->findTensor("output.weight")); // tied embeddings
}

void TestMoeRuleSets::b4748Decisions() {
    const auto model = qb::GgufModel::open(m_model);
    const auto t = decide(*model, "Q4_K_M", qb::RuleSet::B4748);
    using T = qb::GgmlType;
    QCOMPARE(t.at("token_embd.weight"), T::Q6_K);            // no output.weight: it is the output
    QCOMPARE(t.at("blk.1.attn_v.weight"), T::Q8_0);          // 8 experts
    QCOMPARE(t.at("blk.1.attn_k.weight"), T::Q8_0);          // 8 experts
    QCOMPARE(t.at("blk.1.attn_output.weight"), T::Q5_K);     // 8 experts, Q4_K_M
    QCOMPARE(t.at("blk.1.attn_q.weight"), T::Q4_K);
    QCOMPARE(t.at("blk.0.ffn_gate_inp.weight"), T::F16);     // the router is never quantized
    // ffn_down: the layer comes from the name (experts are not consecutive); use_more_bits of 4
    // layers holds for layers 2 and 3; the shared expert's ffn_down counts the same way.
    QCOMPARE(t.at("blk.0.ffn_down_exps.weight"), T::Q4_K);
    QCOMPARE(t.at("blk.1.ffn_down_exps.weight"), T::Q4_K);
    QCOMPARE(t.at("blk.2.ffn_down_exps.weight"), T::Q6_K);
    QCOMPARE(t.at("blk.3.ffn_down_exps.weight"), T::Q6_K);
    QCOMPARE(t.at("blk.2.ffn_down_shexp.weight"), T::Q6_K);
    QCOMPARE(t.at("blk.0.ffn_up_exps.weight"), T::Q4_K);
    QCOMPARE(t.at("blk.0.ffn_gate_shexp.weight"), T::Q4_K);
}

void TestMoeRuleSets::ruleSetsDiffer() {
    const auto model = qb::GgufModel::open(m_model);
    using T = qb::GgmlType;
    // Q4_K_M: the chain is the same in both.
    QCOMPARE(decide(*model, "Q4_K_M", qb::RuleSet::R2026_09), decide(*model, "Q4_K_M", qb::RuleSet::B4748));
    // MXFP4_MOE exists only in 2026-09: stacked experts MXFP4, everything else Q8_0.
    QVERIFY(!qb::findQuantLabel("MXFP4_MOE", qb::RuleSet::B4748));
    const auto mx = decide(*model, "MXFP4_MOE", qb::RuleSet::R2026_09);
    QCOMPARE(mx.at("blk.0.ffn_up_exps.weight"), T::MXFP4);
    QCOMPARE(mx.at("blk.3.ffn_down_exps.weight"), T::MXFP4);
    QCOMPARE(mx.at("blk.0.ffn_up_shexp.weight"), T::Q8_0);
    QCOMPARE(mx.at("blk.0.attn_v.weight"), T::Q8_0);
    QCOMPARE(mx.at("token_embd.weight"), T::Q8_0);
    // IQ3_XXS without importance data: both refuse (attn_q goes to IQ2_S); 2026-09's dry run, as
    // llama-quantize's, only warns, and names the first tensor that would need it.
    QVERIFY_THROWS_EXCEPTION(qb::Error, decide(*model, "IQ3_XXS", qb::RuleSet::B4748));
    QVERIFY_THROWS_EXCEPTION(qb::Error, decide(*model, "IQ3_XXS", qb::RuleSet::R2026_09));
    QCOMPARE(decide(*model, "IQ3_XXS", qb::RuleSet::R2026_09, true).at("blk.0.ffn_up_exps.weight"), T::IQ3_XXS);
    qb::QuantizeOptions dry;
    dry.rules = qb::RuleSet::R2026_09;
    dry.dryRun = true;
    QCOMPARE(qb::decideMix(*model, *qb::findQuantLabel("IQ3_XXS"), dry, nullptr).importanceWarning,
             std::string("blk.0.attn_q.weight (IQ2_S)"));
    // --prune-layers is a 2026-09 option.
    qb::QuantizeOptions prune;
    prune.pruneLayers = {1};
    QVERIFY_THROWS_EXCEPTION(qb::Error, qb::decideMix(*model, *qb::findQuantLabel("Q4_K_M"), prune, nullptr));
    prune.rules = qb::RuleSet::R2026_09;
    const auto pruned = qb::decideMix(*model, *qb::findQuantLabel("Q4_K_M"), prune, nullptr);
    QCOMPARE(pruned.blockCount, 3);
    QCOMPARE(pruned.tensors.size(), size_t(2 + 3 * 14));
    for (const auto &d : pruned.tensors) {
        QVERIFY2(d.name.rfind("blk.1.", 0) != 0, d.name.c_str()); // layer 1 is gone
        if (d.name.rfind("blk.0.", 0) == 0) QVERIFY(d.outputName.empty());
        if (d.name.rfind("blk.2.", 0) == 0) QVERIFY2(d.outputName.rfind("blk.1.", 0) == 0, d.outputName.c_str());
        if (d.name.rfind("blk.3.", 0) == 0) QVERIFY2(d.outputName.rfind("blk.2.", 0) == 0, d.outputName.c_str());
    }
}

void TestMoeRuleSets::expertsQuantizeAsStacks() {
    const auto model = qb::GgufModel::open(m_model);
    for (qb::RuleSet rules : qb::allRuleSets()) {
        qb::QuantizeOptions options;
        options.rules = rules;
        const auto mix = qb::decideMix(*model, *qb::findQuantLabel("Q4_K_M", rules), options, nullptr);
        const auto plan = qb::buildExecutionPlan(*model, mix, nullptr, {});
        const std::filesystem::path out = m_dir.filePath(QStringLiteral("out.gguf")).toStdString();
        qb::runQuantization(*model, plan, out, {});
        const auto written = qb::GgufModel::open(out);
        const auto *t = written->findTensor("blk.3.ffn_down_exps.weight");
        QVERIFY(t);
        QCOMPARE(t->info->type, qb::GgmlType::Q6_K);
        QCOMPARE(t->info->nDims, 3u);
        QCOMPARE(t->info->ne[2], int64_t(8));
        QCOMPARE(t->info->nbytes, uint64_t(qb::rowSizeBytes(qb::GgmlType::Q6_K, 256)) * 256 * 8);
    }
}

QTEST_MAIN(TestMoeRuleSets)
#include "tst_moe_rule_sets.moc"
