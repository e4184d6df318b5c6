// The Model overview tab on the demo model: the heat map holds every tensor in exactly one cell,
// its values are the current mix's (types, bytes, the analyzer's preview error), it follows a
// change of label, and clicking a cell selects that tensor in the tensor table.
#include "demo/demo_model.h"
#include "main_window.h"
#include "mix_document.h"
#include "model_overview_page.h"
#include "model_session.h"
#include "overview_heat_map.h"
#include "tensor_panel.h"
#include "window_setup.h"

#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <set>

class TestModelOverview : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void showsTheCurrentMixAndOpensTensors();

private:
    QTemporaryDir m_dir;
    QString m_demo;
};

void TestModelOverview::initTestCase() {
    qbtest::useTestSettings();
    QVERIFY(m_dir.isValid());
    m_demo = qbtest::writeDemoModelIn(m_dir);
}

void TestModelOverview::showsTheCurrentMixAndOpensTensors() {
    qbui::MainWindow window;
    qbtest::showLarge(window);
    qbui::ModelOverviewPage *page = window.overviewPage();
    QVERIFY(page);
    QSignalSpy ready(&window, &qbui::MainWindow::modelReady);
    window.openPath(m_demo);
    QVERIFY(ready.wait(20000));
    const auto model = window.session()->model();
    const int tensors = int(model->tensors().size());

    // Every tensor in exactly one cell.
    const qbui::ModelOverviewGrid &grid = page->grid();
    QCOMPARE(grid.tensorCount(), tensors);
    std::set<int> seen;
    for (int r = 0; r < grid.rowCount(); ++r)
        for (int c = 0; c < grid.columnCount(); ++c)
            if (const int t = grid.tensorAt(r, c); t >= 0) QVERIFY(seen.insert(t).second);
    QCOMPARE(int(seen.size()), tensors);
    QCOMPARE(grid.rowCount(), 7);  // blk.0 … blk.5 and the rest

    // A label: its types and bytes at once, its errors from the background job.
    QVERIFY(window.chooseLabel(QStringLiteral("Q4_K_M")).isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(page->values().type.size() == size_t(tensors) && !page->isRunning() &&
                                 std::all_of(page->values().error.begin(), page->values().error.end(),
                                             [](double e) { return std::isfinite(e); }),
                             60000);
    const qbui::OverviewValues &v = page->values();
    const auto analyzer = window.session()->analyzer();
    for (int t = 0; t < tensors; ++t) {
        QCOMPARE(v.type[size_t(t)], window.mix()->chosenType(t));
        QCOMPARE(v.bytes[size_t(t)], double(window.mix()->bytesAfter(t)));
        const auto &info = *model->tensors()[size_t(t)].info;
        if (window.mix()->chosenType(t) == info.type) {
            QCOMPARE(v.error[size_t(t)], 0.0);
        } else {
            const double direct = analyzer->analyze(size_t(t), window.mix()->chosenType(t), qb::AnalysisMode::Preview, 64, {}, 1)
                                      ->metrics.relativeRmse;
            QCOMPARE(v.error[size_t(t)], direct);
            QVERIFY(direct > 0);
        }
    }
    // The heat map shows the same values; the quantity combo switches what the colour means.
    QCOMPARE(page->heatMap()->values().bytes, v.bytes);
    page->setQuantity(qbui::OverviewQuantity::Bytes);
    QCOMPARE(page->heatMap()->quantity(), qbui::OverviewQuantity::Bytes);

    // Another label: the overview follows.
    const auto ffnDown = model->findTensor("blk.1.ffn_down.weight");
    QVERIFY(ffnDown);
    const int down = int(ffnDown - model->tensors().data());
    QVERIFY(window.chooseLabel(QStringLiteral("Q8_0")).isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(page->values().type.at(size_t(down)), qb::GgmlType::Q8_0, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(!page->isRunning() && std::isfinite(page->values().error.at(size_t(down))), 60000);

    // Clicking a cell selects its tensor in the tensor table and shows the tensor page.
    QTabWidget *pages = page->parentWidget() ? qobject_cast<QTabWidget *>(page->parentWidget()->parentWidget()) : nullptr;
    QVERIFY(pages);
    pages->setCurrentWidget(page);
    QTest::qWait(50);
    QSignalSpy current(window.tensorPanel(), &qbui::TensorPanel::currentTensorChanged);
    const auto [row, column] = grid.cellOf(down);
    const QRect cell = page->heatMap()->cellRect(row, column);
    QVERIFY(!cell.isEmpty());
    QCOMPARE(page->heatMap()->cellAt(cell.center()), std::make_pair(row, column));
    QTest::mouseClick(page->heatMap(), Qt::LeftButton, {}, cell.center());
    QVERIFY(!current.isEmpty());
    QCOMPARE(current.last().at(0).toInt(), down);
    QCOMPARE(window.tensorPanel()->selectedTensors(), QList<int>{down});
    QVERIFY(pages->currentWidget() != page);
    QVERIFY(page->heatMap()->describe(down).contains(QStringLiteral("blk.1.ffn_down.weight")));
    QVERIFY(page->heatMap()->describe(down).contains(QStringLiteral("q8_0")));
}

QTEST_MAIN(TestModelOverview)
#include "tst_model_overview.moc"
