// The size-against-quality chart: every available label summarised in the background with the
// engine's numbers, the Pareto front correct, clicking a point picks the label, cancel stops it.
#include "golden.h"

#include "kernels/kernels.h"
#include "label_table_model.h"
#include "main_window.h"
#include "mix_document.h"
#include "model_session.h"
#include "quality_chart_page.h"
#include "window_setup.h"

#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QtTest>
#include <qcustomplot.h>

class TestQualityChart : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void summarisesEveryLabel();
    void cancelStopsTheJob();
};

void TestQualityChart::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("QuantBenchTests"));
}

void TestQualityChart::summarisesEveryLabel() {
    qbui::MainWindow window;
    qbtest::showLarge(window);
    qbui::QualityChartPage *chart = window.qualityChart();
    QSignalSpy finished(chart, &qbui::QualityChartPage::finished);
    QSignalSpy ready(&window, &qbui::MainWindow::modelReady);
    window.openPath(QString::fromStdString(qbtest::golden("models/llama256.f16.gguf").string()));
    QVERIFY(ready.wait(20000));
    QVERIFY(finished.wait(120000));
    QVERIFY(!chart->isRunning());

    const auto &points = chart->points();
    const auto *labels = window.labelModel();
    int finite = 0;
    for (const auto &[name, p] : points) {
        const qbui::LabelEstimate *e = labels->find(name);
        QVERIFY(e && e->available);
        QCOMPARE(p.bits, e->bitsPerWeight);
        if (!p.failure.isEmpty()) {
            QVERIFY(std::isnan(p.relative));
            QVERIFY(std::isnan(labels->quality(name)) || labels->quality(name) != labels->quality(name));
            continue;
        }
        ++finite;
        // The same number the engine gives for the label's mix, and the label list shows it.
        const auto direct = window.session()->analyzer()->summarize(name.toStdString(), e->mix, qb::AnalysisMode::Preview, 1);
        QCOMPARE(p.relative, direct.relativeRmse);
        QCOMPARE(labels->quality(name), p.relative);
    }
    QVERIFY(points.count(QStringLiteral("BF16")) && std::isfinite(points.at(QStringLiteral("BF16")).relative));
    QVERIFY(points.at(QStringLiteral("BF16")).relative > 0);
    QCOMPARE(points.at(QStringLiteral("F16")).relative, 0.0);  // the model is F16 already
    if (!qb::canQuantize(qb::GgmlType::Q4_K)) QWARN("k-quant kernels not merged yet: only float labels have points");
    else QVERIFY(finite >= 20);

    // Pareto front: nothing on it is beaten on both axes; everything off it is.
    const QStringList front = chart->paretoFront();
    QVERIFY(!front.isEmpty());
    for (const auto &[name, p] : points) {
        if (!std::isfinite(p.relative)) continue;
        bool dominated = false;
        for (const auto &[other, q] : points)
            if (other != name && std::isfinite(q.relative) && q.bits <= p.bits && q.relative <= p.relative &&
                (q.bits < p.bits || q.relative < p.relative))
                dominated = true;
        QCOMPARE(front.contains(name), !dominated);
    }

    // Clicking a point picks its label.
    window.chooseLabel(QStringLiteral("F16"));
    QCustomPlot *plot = chart->plot();
    qbtest::showPageOf(chart);
    plot->replot();
    const auto marker = chart->markerPixel(QStringLiteral("Q4_K_M"));
    QVERIFY(marker);
    const QPoint pixel = marker->toPoint();
    QCOMPARE(chart->labelAt(pixel), QStringLiteral("Q4_K_M"));
    QTest::mouseClick(plot, Qt::LeftButton, {}, pixel);
    QCOMPARE(window.mix()->label(), QStringLiteral("Q4_K_M"));
    // The current mix is summarised and drawn as its own point.
    // (the summary of the F16 mix chosen before may still arrive first: wait for Q4_K_M's)
    QTRY_COMPARE_WITH_TIMEOUT(chart->currentMixPoint().relative, points.at(QStringLiteral("Q4_K_M")).relative, 10000);
}

void TestQualityChart::cancelStopsTheJob() {
    qbui::MainWindow window;
    QSignalSpy ready(&window, &qbui::MainWindow::labelsEstimated);
    window.openPath(QString::fromStdString(qbtest::golden("models/llama256.f16.gguf").string()));
    QVERIFY(ready.wait(20000));
    qbui::QualityChartPage *chart = window.qualityChart();
    QVERIFY(chart->isRunning());
    QSignalSpy summaries(chart, &qbui::QualityChartPage::summaryReady);
    chart->cancel();
    QVERIFY(!chart->isRunning());
    const int seen = int(summaries.count());
    QTest::qWait(300);
    QCOMPARE(int(summaries.count()), seen);  // late results of the cancelled job are dropped
}

QTEST_MAIN(TestQualityChart)
#include "tst_quality_chart.moc"
