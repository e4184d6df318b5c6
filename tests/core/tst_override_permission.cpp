// qb::overridableTensors (core/mix/override_permission.h) against the rules themselves: for every
// tensor of several models, labels, option sets and both rule sets, a tensor is called overridable
// exactly when decideMix, given an exact --tensor-type for it (as the GUI's presets write it),
// gives it that type.
#include "golden.h"

#include "demo/demo_model.h"
#include "gguf/gguf_model.h"
#include "mix/override_permission.h"
#include "mix/preset.h"

#include <QTemporaryDir>
#include <QtTest>

#include <memory>
#include <string>
#include <vector>

class TestOverridePermission : public QObject {
    Q_OBJECT
private slots:
    void agreesWithTheRules_data();
    void agreesWithTheRules();
};

namespace {

// A type other than the chosen one that fits the tensor's rows and needs no importance data.
std::optional<qb::GgmlType> otherType(const qb::GgufTensorInfo &info, qb::GgmlType chosen) {
    for (qb::GgmlType t : {qb::GgmlType::Q8_0, qb::GgmlType::Q4_0, qb::GgmlType::F16})
        if (t != chosen && info.rowLength() % qb::typeTraits(t).blockSize == 0) return t;
    return std::nullopt;
}

struct Counts {
    int overridable = 0;
    int refused = 0;
};

// Checks every tensor of one (model, preset); returns how many were overridable and refused.
Counts check(const qb::GgufModel &model, const qb::MixPreset &preset) {
    Counts counts;
    const qb::QuantizeOptions options = preset.toOptions();
    const qb::MixDecision decision = qb::decideMix(model, preset.label(), options, nullptr);
    const std::vector<bool> flags = qb::overridableTensors(decision, options);
    if (flags.size() != decision.tensors.size()) {
        qWarning("one flag per decision expected");
        return {-1, -1};
    }
    for (size_t i = 0; i < decision.tensors.size(); ++i) {
        const qb::TensorDecision &d = decision.tensors[i];
        const auto &info = *model.tensors()[d.tensor].info;
        const auto type = otherType(info, d.target);
        if (!type) continue;
        qb::MixPreset withOverride = preset;
        withOverride.tensorTypes[d.name] = *type;
        const qb::MixDecision overridden = qb::decideMix(model, preset.label(), withOverride.toOptions(), nullptr);
        const bool honoured = overridden.tensors[i].tensor == d.tensor && overridden.tensors[i].target == *type;
        if (honoured != bool(flags[i])) {
            qWarning("%s (%s, rules %s): overridable says %d, the rules %s the override", d.name.c_str(),
                     preset.baseLabel.c_str(), qb::ruleSetName(preset.ruleSet), int(flags[i]),
                     honoured ? "honour" : "ignore");
            return {-1, -1};
        }
        ++(honoured ? counts.overridable : counts.refused);
    }
    return counts;
}

} // namespace

void TestOverridePermission::agreesWithTheRules_data() {
    QTest::addColumn<QString>("model");  // golden-relative path, or "moe" (tied embeddings)
    QTest::newRow("llama256.f16") << QStringLiteral("models/llama256.f16.gguf");
    QTest::newRow("stories260K.f32") << QStringLiteral("models/stories260K.f32.gguf");
    QTest::newRow("tiny.f16") << QStringLiteral("models/tiny.f16.gguf");
    QTest::newRow("moe (no output.weight)") << QStringLiteral("moe");
}

void TestOverridePermission::agreesWithTheRules() {
    QFETCH(QString, model);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    std::string path;
    if (model == QStringLiteral("moe")) {
        path = dir.filePath(QStringLiteral("moe.f16.gguf")).toStdString();
        qb::writeDemoModel(path, qb::moeTestModelSpec());
    } else {
        path = qbtest::golden(model.toStdString()).string();
    }
    const auto gguf = qb::GgufModel::open(path);
    const bool tied = !gguf->findTensor("output.weight");

    Counts total;
    for (qb::RuleSet rules : {qb::RuleSet::B4748, qb::RuleSet::R2026_09}) {
        // No option, each option that wins over --tensor-type, and a float label.
        std::vector<qb::MixPreset> presets(5);
        for (auto &p : presets) {
            p.ruleSet = rules;
            p.baseLabel = "Q4_K_M";
        }
        presets[1].tokenEmbeddingType = qb::GgmlType::Q6_K;
        presets[2].outputTensorType = qb::GgmlType::Q6_K;
        presets[3].leaveOutputTensor = true;
        presets[4].baseLabel = "F16";
        for (const qb::MixPreset &p : presets) {
            const Counts c = check(*gguf, p);
            QVERIFY2(c.overridable >= 0, "overridableTensors disagrees with decideMix (see the warning)");
            total.overridable += c.overridable;
            total.refused += c.refused;
        }
        // Both answers occur: the test compares something either way.
    }
    QVERIFY(total.overridable > 0);
    QVERIFY(total.refused > 0);
    if (tied) QVERIFY(gguf->findTensor("token_embd.weight"));  // the b4748 tied-output case is covered
}

QTEST_GUILESS_MAIN(TestOverridePermission)
#include "tst_override_permission.moc"
