// Rule sets as data: names, each one's label list (2026-09 = b4748's plus Q1_0, Q2_0, MXFP4_MOE in
// llama-quantize's listing order), and presets: "rule_set" read and written, missing = b4748.
#include "error.h"
#include "mix/preset.h"
#include "mix/quant_label.h"
#include "rule_set.h"

#include <QtTest>

class TestRuleSets : public QObject {
    Q_OBJECT
private slots:
    void names();
    void labelsPerRuleSet();
    void presetsRecordTheRuleSet();
};

void TestRuleSets::names() {
    QCOMPARE(qb::ruleSetFromName("2026-09"), std::optional(qb::RuleSet::R2026_09));
    QCOMPARE(qb::ruleSetFromName("B4748"), std::optional(qb::RuleSet::B4748));
    QVERIFY(!qb::ruleSetFromName("2026"));
    QCOMPARE(qb::kDefaultRuleSet, qb::RuleSet::R2026_09);
    for (qb::RuleSet r : qb::allRuleSets()) QCOMPARE(qb::ruleSetFromName(qb::ruleSetName(r)), std::optional(r));
}

void TestRuleSets::labelsPerRuleSet() {
    const auto old = qb::quantLabels(qb::RuleSet::B4748);
    const auto now = qb::quantLabels(qb::RuleSet::R2026_09);
    QCOMPARE(old.size(), size_t(36));
    QCOMPARE(now.size(), size_t(39));
    QCOMPARE(QString(now[0]->name), QStringLiteral("Q1_0"));
    QCOMPARE(QString(now[1]->name), QStringLiteral("Q2_0"));
    QCOMPARE(QString(now[4]->name), QStringLiteral("MXFP4_MOE")); // after Q4_0, Q4_1
    QCOMPARE(QString(now.back()->name), QStringLiteral("COPY"));
    QCOMPARE(int(qb::findQuantLabel("mxfp4_moe", qb::RuleSet::R2026_09)->ftype), 38);
    QCOMPARE(int(qb::findQuantLabel("Q1_0", qb::RuleSet::R2026_09)->ftype), 40);
    QCOMPARE(QString(qb::findQuantLabel("41", qb::RuleSet::R2026_09)->name), QStringLiteral("Q2_0"));
    QCOMPARE(qb::findQuantLabel("41", qb::RuleSet::R2026_09)->baseType, qb::GgmlType::Q2_0);
    QVERIFY(!qb::findQuantLabel("Q2_0", qb::RuleSet::B4748));
    QVERIFY(!qb::findQuantLabel("40", qb::RuleSet::B4748));
    QVERIFY(!qb::findQuantLabel("Q2_0")); // the b4748 lookup is unchanged
    QCOMPARE(qb::findQuantLabel("Q4_K_M", qb::RuleSet::R2026_09), qb::findQuantLabel("Q4_K_M"));
}

void TestRuleSets::presetsRecordTheRuleSet() {
    const std::string head = R"({"format":"quantbench-preset","version":1,)";
    // Written before rule sets existed: b4748, so the file it made is made again.
    QCOMPARE(qb::MixPreset::fromJson(head + R"("base_label":"Q4_K_M"})").ruleSet, qb::RuleSet::B4748);
    const auto p = qb::MixPreset::fromJson(head + R"("base_label":"MXFP4_MOE","rule_set":"2026-09"})");
    QCOMPARE(p.ruleSet, qb::RuleSet::R2026_09);
    QCOMPARE(p.toOptions().rules, qb::RuleSet::R2026_09);
    QCOMPARE(QString(p.label().name), QStringLiteral("MXFP4_MOE"));
    QCOMPARE(qb::MixPreset::fromJson(p.toJson()).ruleSet, qb::RuleSet::R2026_09);
    // A new preset is 2026-09's and says so.
    QVERIFY(qb::MixPreset{}.toJson().find(R"("rule_set": "2026-09")") != std::string::npos);
    // A label of the other rule set, an unknown rule set, a wrong type: refused, naming the field.
    for (const char *bad : {R"("base_label":"MXFP4_MOE"})", R"("base_label":"Q4_0","rule_set":"2027"})",
                            R"("base_label":"Q4_0","rule_set":7})"}) {
        try {
            qb::MixPreset::fromJson(head + bad);
            QFAIL(bad);
        } catch (const qb::Error &e) {
            const std::string what = e.what();
            QVERIFY2(what.find("base_label") != std::string::npos || what.find("rule_set") != std::string::npos, e.what());
        }
    }
}

QTEST_MAIN(TestRuleSets)
#include "tst_rule_sets.moc"
