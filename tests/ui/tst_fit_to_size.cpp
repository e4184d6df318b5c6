// "Fit to size" in the main window, offscreen: the curves are built in the background, the
// optimizer's frontier is drawn on the size-against-quality chart, the chart's target point
// follows the slider, Apply puts the mix in the tensor table with the optimizer's reasons, the
// exported preset names every tensor's type, and the user's overrides are kept as pins.
#include "golden.h"
#include "window_setup.h"

#include "fit_to_size_panel.h"
#include "main_window.h"
#include "mix_controller.h"
#include "mix_document.h"
#include "model_session.h"
#include "quality_chart_page.h"

#include <QFile>
#include <QPushButton>
#include <QTemporaryDir>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QtTest>

class TestFitToSize : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void fitsAppliesAndKeepsPins();
    void calibrationFileReweighsRoles();
    void followsTheWindowRuleSet();
};

void TestFitToSize::initTestCase() {
    qbtest::useTestSettings();
}

void TestFitToSize::fitsAppliesAndKeepsPins() {
    qbui::MainWindow window;
    qbtest::showLarge(window);
    qbui::FitToSizePanel *fit = window.fitToSize();
    QVERIFY(fit);
    QSignalSpy curves(fit, &qbui::FitToSizePanel::curvesReady);
    QVERIFY(qbtest::openAndWait(window, qbtest::goldenPath("models/stories-d256.f32.gguf")));
    QVERIFY(curves.wait(120000) || fit->hasCurves());
    QVERIFY(!fit->isRunning());

    // The frontier: one point per target, sizes rising and predicted error falling.
    QTRY_VERIFY_WITH_TIMEOUT(!window.qualityChart()->frontier().empty(), 5000);
    const auto &frontier = window.qualityChart()->frontier();
    QVERIFY(frontier.size() >= 10);
    for (size_t i = 1; i < frontier.size(); ++i) {
        QVERIFY(frontier[i].bits >= frontier[i - 1].bits);
        QVERIFY(frontier[i].relative <= frontier[i - 1].relative + 1e-12);
    }

    // Moving the slider solves again at once and never exceeds the target.
    QSignalSpy solved(fit, &qbui::FitToSizePanel::targetSolved);
    fit->setUnit(qbui::FitToSizePanel::Unit::BitsPerWeight);
    fit->slider()->setValue(300);
    QVERIFY(solved.count() >= 1);
    QVERIFY(fit->result());
    const double bpwLow = fit->result()->bitsPerWeight;
    QVERIFY(bpwLow <= fit->target() + 1e-9);
    fit->slider()->setValue(700);
    QVERIFY(fit->result()->bitsPerWeight > bpwLow);
    QVERIFY(fit->result()->bitsPerWeight <= fit->target() + 1e-9);

    // Apply: the tensor table shows the optimizer's types and reasons.
    fit->setTarget(4.5);
    QVERIFY(fit->result());
    const qb::OptimizedMix mix = *fit->result();
    fit->applyButton()->click();
    qbui::MixDocument *doc = window.mix();
    QVERIFY(doc->isFitted());
    int optimized = 0;
    for (const auto &t : mix.tensors) {
        QCOMPARE(doc->chosenType(int(t.tensor)), t.type);
        if (t.free) {
            QVERIFY2(doc->reason(int(t.tensor)).startsWith(QStringLiteral("optimizer:")),
                     qPrintable(doc->reason(int(t.tensor))));
            ++optimized;
        }
    }
    QVERIFY(optimized > 20);
    QVERIFY(doc->bitsPerWeightAfter() <= 4.5);
    // The preset the window exports names every tensor's type: it reproduces the fitted mix.
    const qb::MixPreset preset = window.controller()->preset();
    for (const auto &t : mix.tensors)
        if (t.free) QCOMPARE(preset.tensorTypes.at(t.name), t.type);

    // A user's override becomes a pin: the curves are rebuilt and the override is kept.
    curves.clear();
    int ffnDown = -1;
    for (const auto &t : mix.tensors)
        if (t.name == "blk.1.ffn_down.weight") ffnDown = int(t.tensor);
    QVERIFY(ffnDown >= 0);
    QVERIFY(doc->setOverride({ffnDown}, qb::GgmlType::Q8_0));
    QVERIFY(curves.wait(120000));
    fit->setTarget(4.5);
    QVERIFY(fit->result());
    for (const auto &t : fit->result()->tensors)
        if (int(t.tensor) == ffnDown) QCOMPARE(t.type, qb::GgmlType::Q8_0);

    // The spin box cannot go below the smallest feasible size: the slider's range is the feasible one.
    fit->setUnit(qbui::FitToSizePanel::Unit::Gigabytes);
    fit->setTarget(0.0);
    QVERIFY(fit->result());
    QVERIFY(fit->result()->fileBytes <= uint64_t(std::llround(fit->target() * 1e9)));
}

// A calibration file (as `optimize --calibrate --save-sensitivity` writes it) re-weighs the roles
// without a new analysis: an output role weighted far below the rest gets output.weight fewer bytes;
// a bad file is refused naming it and changes nothing; "built-in" restores the first mix.
void TestFitToSize::calibrationFileReweighsRoles() {
    qbui::MainWindow window;
    window.show();
    qbui::FitToSizePanel *fit = window.fitToSize();
    QSignalSpy curves(fit, &qbui::FitToSizePanel::curvesReady);
    QVERIFY(qbtest::openAndWait(window, qbtest::goldenPath("models/stories260K.f32.gguf")));
    QVERIFY(curves.wait(120000) || fit->hasCurves());
    fit->setUnit(qbui::FitToSizePanel::Unit::BitsPerWeight);
    fit->setTarget(7.0);
    QVERIFY(fit->result());
    auto outputBytes = [&] {
        for (const auto &t : fit->result()->tensors)
            if (t.name == "output.weight") return t.bytes;
        return uint64_t(0);
    };
    const uint64_t builtin = outputBytes();
    const qb::OptimizedMix first = *fit->result();
    QCOMPARE(fit->sensitivitySource(), QStringLiteral("built-in"));

    QTemporaryDir dir;
    const QString bad = dir.filePath(QStringLiteral("broken.json"));
    QVERIFY(qbtest::writeFile(bad, "{\"sensitivity\": {\"output\": \"high\"}}"));
    const QString error = fit->loadSensitivity(bad);
    QVERIFY2(error.contains(QStringLiteral("broken.json")) && error.contains(QStringLiteral("output")), qPrintable(error));
    QCOMPARE(fit->sensitivitySource(), QStringLiteral("built-in"));
    QCOMPARE(outputBytes(), builtin);

    const QString light = dir.filePath(QStringLiteral("light-output.json"));
    QFile h(light);
    QVERIFY(h.open(QIODevice::WriteOnly));
    h.write("{\"sensitivity\": {\"output\": 0.001, \"token_embd\": 1, \"attn_q\": 1, \"attn_k\": 1, "
            "\"attn_v\": 1, \"attn_output\": 1, \"ffn_gate\": 1, \"ffn_up\": 1, \"ffn_down\": 1}}");
    h.close();
    curves.clear();
    QCOMPARE(fit->loadSensitivity(light), QString());
    QCOMPARE(curves.count(), 1);  // re-weighed at once, no background analysis
    QVERIFY(!fit->isRunning());
    QCOMPARE(fit->sensitivitySource(), QStringLiteral("light-output.json"));
    QVERIFY(fit->result());
    QVERIFY2(outputBytes() < builtin, qPrintable(QStringLiteral("%1 >= %2").arg(outputBytes()).arg(builtin)));
    QVERIFY(fit->result()->bitsPerWeight <= 7.0);

    fit->useBuiltinSensitivity();
    QVERIFY(fit->result());
    QCOMPARE(fit->result()->tensors.size(), first.tensors.size());
    for (size_t i = 0; i < first.tensors.size(); ++i) QCOMPARE(fit->result()->tensors[i].type, first.tensors[i].type);
}

// The fit decides under the window's rule set: choosing the other one rebuilds the curves under it,
// and the mix's preset records it (so quantizing the preset gives the fit's types).
void TestFitToSize::followsTheWindowRuleSet() {
    qbui::MainWindow window;
    window.show();
    QCOMPARE(window.chooseRuleSet(qb::RuleSet::R2026_09), QString());
    qbui::FitToSizePanel *fit = window.fitToSize();
    QSignalSpy curves(fit, &qbui::FitToSizePanel::curvesReady);
    QSignalSpy ready(&window, &qbui::MainWindow::modelReady);
    window.openPath(QString::fromStdString(qbtest::golden("models/stories260K.f32.gguf").string()));
    QVERIFY(ready.wait(20000));
    QTRY_VERIFY_WITH_TIMEOUT(fit->hasCurves() && !fit->isRunning(), 120000);
    QCOMPARE(fit->curves()->rules, qb::RuleSet::R2026_09);

    curves.clear();
    QCOMPARE(window.chooseRuleSet(qb::RuleSet::B4748), QString());
    QVERIFY(curves.wait(120000) || (fit->hasCurves() && fit->curves()->rules == qb::RuleSet::B4748));
    QCOMPARE(fit->curves()->rules, qb::RuleSet::B4748);
    fit->setUnit(qbui::FitToSizePanel::Unit::BitsPerWeight);
    fit->setTarget(6.0);
    QVERIFY(fit->result());
    QCOMPARE(fit->result()->rules, qb::RuleSet::B4748);
    QCOMPARE(fit->result()->toPreset({}).ruleSet, qb::RuleSet::B4748);
    QCOMPARE(window.chooseRuleSet(qb::RuleSet::R2026_09), QString());  // the settings' default again
}

QTEST_MAIN(TestFitToSize)
#include "tst_fit_to_size.moc"
