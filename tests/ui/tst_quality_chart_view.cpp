// The size-against-quality chart as a person reads it, on the demo model and a golden model: the
// default view is the 2–9 bits-per-weight band with F16/F32 as edge markers, no two point labels
// overlap, the current mix is always drawn (at the edge when outside the view), the tooltip names
// label, size, bits per weight and error, and a zoom is undone by a double-click.
#include "golden.h"

#include "demo/demo_model.h"
#include "main_window.h"
#include "quality_chart_page.h"
#include "window_setup.h"

#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

class TestQualityChartView : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void readableView_data();
    void readableView();

private:
    QTemporaryDir m_dir;
    QString m_demo;
};

namespace {

// No two drawn labels intersect and every one lies inside the plot area.
void checkLabels(const qbui::QualityChartPage *chart) {
    const QRectF area = chart->plot()->axisRect()->rect();
    const auto &labels = chart->visibleLabels();
    for (auto a = labels.begin(); a != labels.end(); ++a) {
        QVERIFY2(area.contains(a->second), qPrintable(a->first));
        for (auto b = std::next(a); b != labels.end(); ++b)
            QVERIFY2(!a->second.intersects(b->second), qPrintable(a->first + QStringLiteral(" / ") + b->first));
    }
}

bool anyLabelContains(const qbui::QualityChartPage *chart, const QString &text) {
    for (const auto &[label, rect] : chart->visibleLabels())
        if (label.contains(text)) return true;
    return false;
}

} // namespace

void TestQualityChartView::initTestCase() {
    qbtest::useTestSettings();
    QVERIFY(m_dir.isValid());
    m_demo = qbtest::writeDemoModelIn(m_dir);
}

void TestQualityChartView::readableView_data() {
    QTest::addColumn<QString>("model");
    QTest::newRow("demo") << m_demo;
    QTest::newRow("llama256.f16") << QString::fromStdString(qbtest::golden("models/llama256.f16.gguf").string());
}

void TestQualityChartView::readableView() {
    QFETCH(QString, model);
    qbui::MainWindow window;
    qbtest::showLarge(window);
    qbui::QualityChartPage *chart = window.qualityChart();
    QSignalSpy finished(chart, &qbui::QualityChartPage::finished);
    QSignalSpy ready(&window, &qbui::MainWindow::modelReady);
    window.openPath(model);
    QVERIFY(ready.wait(20000));
    QVERIFY(finished.wait(120000));
    QSignalSpy current(chart, &qbui::QualityChartPage::currentMixSummarised);
    QVERIFY(window.chooseLabel(QStringLiteral("Q4_K_M")).isEmpty());
    QVERIFY(current.wait(20000));
    QCustomPlot *plot = chart->plot();
    qbtest::showPageOf(chart);
    plot->replot();

    // The default view: the band's labels inside, the float types outside as edge markers.
    QVERIFY(chart->isDefaultView());
    const QCPRange x = plot->xAxis->range();
    int inBand = 0;
    for (const auto &[name, p] : chart->points()) {
        if (!std::isfinite(p.relative)) continue;
        if (p.bits >= qbui::QualityChartPage::kBandLow && p.bits <= qbui::QualityChartPage::kBandHigh) {
            ++inBand;
            QVERIFY2(x.contains(p.bits), qPrintable(name));
            QVERIFY2(!chart->isEdgeMarker(name), qPrintable(name));
        }
    }
    QVERIFY(inBand >= 15);
    QVERIFY(x.upper < 12.0 && x.lower > 1.0);
    const QRectF area = plot->axisRect()->rect();
    for (const QString name : {QStringLiteral("F16"), QStringLiteral("F32")}) {
        QVERIFY2(chart->isEdgeMarker(name), qPrintable(name));
        const auto marker = chart->markerPixel(name);
        QVERIFY(marker && area.contains(*marker));
        QVERIFY(area.right() - marker->x() < 10.0);  // at the right edge
        QVERIFY2(anyLabelContains(chart, name), qPrintable(name));
    }

    // Labels: many drawn, none overlapping; the crowded ones are in the tooltip.
    checkLabels(chart);
    QVERIFY(chart->visibleLabels().size() >= 8);
    const QString tip = chart->toolTipFor(QStringLiteral("Q4_K_M"));
    const auto &q4 = chart->points().at(QStringLiteral("Q4_K_M"));
    QVERIFY(tip.contains(QStringLiteral("Q4_K_M")));
    QVERIFY(tip.contains(QString::number(q4.bits, 'f', 2) + QStringLiteral(" bits per weight")));
    QVERIFY(tip.contains(QString::number(q4.gigabytes, 'f', 3) + QStringLiteral(" GB")));
    QVERIFY(tip.contains(QStringLiteral("relative RMSE %1 %").arg(q4.relative * 100.0, 0, 'g', 3)));

    // The current mix inside the view, at its point.
    QVERIFY(chart->currentMixMarker() && !chart->currentMixAtEdge());
    QVERIFY(std::abs(chart->currentMixMarker()->x() - plot->xAxis->coordToPixel(q4.bits)) < 1.0);

    // Zoom into the crowd: the user's range is kept, labels are placed again without overlap.
    const QCPRange defaultX = plot->xAxis->range(), defaultY = plot->yAxis->range();
    plot->xAxis->scaleRange(0.4, q4.bits);
    plot->replot();
    QVERIFY(!chart->isDefaultView());
    checkLabels(chart);
    // A float mix: far outside the view, so it sits at the edge, labelled.
    QVERIFY(window.chooseLabel(QStringLiteral("F32")).isEmpty());
    QVERIFY(current.wait(20000));
    plot->replot();
    QVERIFY(chart->currentMixMarker() && chart->currentMixAtEdge());
    QVERIFY(area.contains(*chart->currentMixMarker()));
    QVERIFY(anyLabelContains(chart, QStringLiteral("your mix: F32")));
    checkLabels(chart);
    QVERIFY(!chart->isDefaultView());  // a new summary did not undo the zoom

    // Double-click: back to the default view.
    QPoint empty = area.center().toPoint();  // a spot with no point under it, so no label is chosen
    for (int dx = 0; dx < area.width() && !chart->labelAt(empty).isEmpty(); dx += 15) empty = QPoint(int(area.left()) + dx, int(area.center().y()));
    QVERIFY(chart->labelAt(empty).isEmpty());
    QTest::mouseDClick(plot, Qt::LeftButton, {}, empty);
    plot->replot();
    QVERIFY(chart->isDefaultView());
    QCOMPARE(plot->xAxis->range().lower, defaultX.lower);
    QCOMPARE(plot->xAxis->range().upper, defaultX.upper);
    QCOMPARE(plot->yAxis->range().lower, defaultY.lower);
    QCOMPARE(plot->yAxis->range().upper, defaultY.upper);
    checkLabels(chart);
}

QTEST_MAIN(TestQualityChartView)
#include "tst_quality_chart_view.moc"
