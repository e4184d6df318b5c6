// The rule set in the GUI: the status bar names it, Tools ▸ Rule Set switches it (re-applying the
// label, refusing a label the other llama.cpp lacks), the choice is remembered, label estimates
// follow it, and an exported preset records it.
#include "golden.h"
#include "window_setup.h"
#include "label_table_model.h"
#include "main_window.h"
#include "mix/preset.h"
#include "mix_controller.h"
#include "mix_document.h"
#include "model_session.h"

#include <QAction>
#include <QLabel>
#include <QMenu>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

class TestRuleSetUi : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void statusBarAndMenuFollowTheRuleSet();
    void labelOfOneRuleSetOnly();
};

namespace {
using qbtest::goldenPath;
using qbtest::openAndWait;
bool estimatesHave(const qbui::MainWindow &window, const char *label) {
    const auto *m = window.labelModel();
    for (int r = 0; r < m->rowCount(); ++r)
        if (m->data(m->index(r, 0)).toString() == QLatin1String(label)) return true;
    return false;
}
} // namespace

void TestRuleSetUi::initTestCase() {
    qbtest::useTestSettings();
    QSettings().remove(QStringLiteral("ruleSet"));
}

void TestRuleSetUi::cleanupTestCase() { QSettings().remove(QStringLiteral("ruleSet")); }

void TestRuleSetUi::statusBarAndMenuFollowTheRuleSet() {
    {
        qbui::MainWindow window;
        window.show();
        QCOMPARE(window.rulesStatus()->text(), QStringLiteral("Rules: 2026-09")); // the default
        QVERIFY(openAndWait(window, goldenPath("models/tiny.f16.gguf")));
        QSignalSpy estimated(&window, &qbui::MainWindow::labelsEstimated);
        QVERIFY(estimated.wait(20000));
        QVERIFY(estimatesHave(window, "MXFP4_MOE"));
        QVERIFY(window.chooseLabel(QStringLiteral("Q4_K_M")).isEmpty());
        QCOMPARE(window.controller()->preset().ruleSet, qb::RuleSet::R2026_09);

        // The menu: one checkable action per rule set; triggering b4748 switches everything.
        QAction *b4748 = nullptr;
        for (QAction *a : window.rulesMenu()->actions())
            if (a->data().toString() == QLatin1String("b4748")) b4748 = a;
        QVERIFY(b4748);
        QVERIFY(!b4748->isChecked());
        b4748->trigger();
        QVERIFY(b4748->isChecked());
        QCOMPARE(window.rulesStatus()->text(), QStringLiteral("Rules: b4748"));
        QCOMPARE(window.controller()->preset().ruleSet, qb::RuleSet::B4748);
        QCOMPARE(window.mix()->label(), QStringLiteral("Q4_K_M")); // the label was re-applied
        QVERIFY(estimated.wait(20000));
        QVERIFY(!estimatesHave(window, "MXFP4_MOE")); // b4748 has no such label
        QVERIFY(estimatesHave(window, "Q4_K_M"));

        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("p.json"));
        QVERIFY(window.exportPreset(path).isEmpty());
        QCOMPARE(qb::MixPreset::load(path.toStdString()).ruleSet, qb::RuleSet::B4748);
    }
    // Remembered: a new window starts with the last choice.
    qbui::MainWindow again;
    QCOMPARE(again.rulesStatus()->text(), QStringLiteral("Rules: b4748"));
    QCOMPARE(again.controller()->ruleSet(), qb::RuleSet::B4748);
}

void TestRuleSetUi::labelOfOneRuleSetOnly() {
    qbui::MainWindow window;
    QVERIFY(window.chooseRuleSet(qb::RuleSet::R2026_09).isEmpty());
    QVERIFY(openAndWait(window, goldenPath("models/tiny.f16.gguf")));
    QVERIFY(window.chooseLabel(QStringLiteral("Q2_0")).isEmpty()); // a 2026-09 label
    QCOMPARE(window.mix()->label(), QStringLiteral("Q2_0"));
    // b4748 has no Q2_0: the switch is refused in the banner and nothing changes.
    QVERIFY(!window.chooseRuleSet(qb::RuleSet::B4748).isEmpty());
    QCOMPARE(window.controller()->ruleSet(), qb::RuleSet::R2026_09);
    QCOMPARE(window.rulesStatus()->text(), QStringLiteral("Rules: 2026-09"));
    QCOMPARE(window.mix()->label(), QStringLiteral("Q2_0"));
}

QTEST_MAIN(TestRuleSetUi)
#include "tst_rule_set_ui.moc"
