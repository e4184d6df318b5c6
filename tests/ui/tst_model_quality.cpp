// The "Model quality" measurement in the GUI, offscreen, on the real stories-d256 model and text:
// checked labels measured through llama.cpp in the background with progress, the results in the
// label list's KLD/ΔPPL columns and as measured points on the chart; Cancel stops it leaving no
// temporary file; the text is remembered; a second measurement comes from the session cache, and
// one more label measured later runs that label only (the base model's run is kept, one file).
#include "window_setup.h"
#include "gguf/gguf_model.h"
#include "label_table_model.h"
#include "mix_controller.h"
#include "model_quality_job.h"
#include "model_quality_panel.h"
#include "quality_chart_page.h"

#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <qcustomplot.h>

using namespace qbui;

namespace {
const QString kModel = QStringLiteral(QB_GOLDEN_DIR "/models/stories-d256.f32.gguf");
const QString kText = QStringLiteral(QB_GOLDEN_DIR "/text/stories-sample.txt");

// Our temporary files in a folder: candidates, or the base model's log-probabilities.
QStringList leftovers(const QString &dir, const QString &pattern = QStringLiteral(".quantbench-candidate-*")) {
    return QDir(dir).entryList({pattern}, QDir::Files | QDir::Hidden);
}
const QString kBaseLogits = QStringLiteral(".quantbench-base-logits-*");
} // namespace

class TestModelQuality : public QObject {
    Q_OBJECT
private:
    LabelTableModel *m_labels = nullptr;
    QualityChartPage *m_chart = nullptr;
    ModelQualityPanel *m_panel = nullptr;
    QTemporaryDir m_tmp;

private slots:
    void initTestCase() {
        qbtest::useTestSettings(QStringLiteral("tst_model_quality"));
        // Temporary candidates and base log-probabilities go to TMPDIR: a folder of our own.
        qputenv("TMPDIR", m_tmp.path().toLocal8Bit());
        if (!ModelQualityJob::available()) QSKIP("this build has no llama.cpp (QB_LLAMA_DIR): nothing to measure");
        const auto model = qb::GgufModel::open(kModel.toStdString());
        m_labels = new LabelTableModel(this);
        m_labels->setEstimates(MixController::estimateLabels(*model, nullptr));
        m_chart = new QualityChartPage;
        m_panel = new ModelQualityPanel(m_labels, m_chart);
        m_panel->setModelPath(kModel);
        m_panel->setTextPath(kText);
        m_panel->setContext(256);
        m_panel->setChunks(8);
        m_panel->setThreads(2);
    }
    void cleanupTestCase() {
        delete m_panel;
        delete m_chart;
    }

    void textIsRemembered() { QCOMPARE(QSettings().value(QStringLiteral("modelQuality/text")).toString(), kText); }

    void checkStateIsPartOfTheLabelModel() {
        const int row = m_labels->rowOf(QStringLiteral("Q4_K_M"));
        const QModelIndex index = m_labels->index(row, LabelTableModel::Label);
        QVERIFY(m_labels->flags(index) & Qt::ItemIsUserCheckable);
        QCOMPARE(index.data(Qt::CheckStateRole).value<Qt::CheckState>(), Qt::Unchecked);
        QVERIFY(m_labels->setData(index, Qt::Checked, Qt::CheckStateRole));
        QCOMPARE(m_labels->checkedLabels(), QStringList{QStringLiteral("Q4_K_M")});
        m_labels->setChecked(QStringLiteral("Q4_K_M"), false);
        QVERIFY(m_labels->checkedLabels().isEmpty());
    }

    void measureFillsColumnsAndChart() {
        m_labels->setChecked(QStringLiteral("Q2_K"), true);
        m_labels->setChecked(QStringLiteral("Q6_K"), true);
        QSignalSpy progress(m_panel->job(), &ModelQualityJob::progress);
        QSignalSpy finished(m_panel->job(), &ModelQualityJob::finished);
        m_panel->measure();
        QVERIFY(m_panel->job()->isRunning());
        QVERIFY(finished.wait(240000));
        QCOMPARE(finished.first().at(0).toBool(), false);        // not cancelled
        QCOMPARE(finished.first().at(1).toString(), QString());  // no failure
        // Progress: chunk i of 8, for the base and each label.
        QVERIFY(progress.size() >= 3);
        QCOMPARE(progress.last().at(1).toInt(), 8);
        QCOMPARE(progress.last().at(2).toInt(), 8);
        const MeasuredQuality q2 = m_labels->measured(QStringLiteral("Q2_K")), q6 = m_labels->measured(QStringLiteral("Q6_K"));
        QVERIFY(q2.valid() && q6.valid());
        QVERIFY(q2.meanKld > q6.meanKld && q6.meanKld > 0);  // fewer bits, more divergence
        QVERIFY(q2.p99Kld > q2.meanKld);
        const int row = m_labels->rowOf(QStringLiteral("Q2_K"));
        QCOMPARE(m_labels->index(row, LabelTableModel::MeanKld).data().toString(), QString::number(q2.meanKld, 'f', 5));
        QVERIFY(!m_labels->index(row, LabelTableModel::DeltaPpl).data().toString().isEmpty());
        // The chart: measured points on the measured axis, drawn as their own graph.
        m_chart->setQualityAxis(QualityChartPage::QualityAxis::MeanKld);
        QTRY_VERIFY(m_chart->measuredGraph() != nullptr);
        QCOMPARE(m_chart->measuredGraph()->data()->size(), 2);
        QCOMPARE(m_chart->measuredPoints().size(), size_t(2));
        bool found = false;
        for (auto it = m_chart->measuredGraph()->data()->constBegin(); it != m_chart->measuredGraph()->data()->constEnd(); ++it)
            found = found || (std::fabs(it->value - q2.meanKld) < 1e-12 && std::fabs(it->key - q2.bitsPerWeight) < 1e-12);
        QVERIFY(found);
        m_chart->setQualityAxis(QualityChartPage::QualityAxis::DeltaPpl);
        QTRY_VERIFY(m_chart->measuredGraph() != nullptr);
        QCOMPARE(m_chart->measuredGraph()->data()->size(), 2);
        m_chart->setQualityAxis(QualityChartPage::QualityAxis::WeightsError);
        QVERIFY(m_chart->measuredGraph() == nullptr);
        QVERIFY(leftovers(m_tmp.path()).isEmpty());
        QCOMPARE(leftovers(m_tmp.path(), kBaseLogits).size(), 1);  // kept for the next Measure
    }

    void secondMeasurementComesFromTheCache() {
        m_labels->setMeasured(QStringLiteral("Q2_K"), {});
        QSignalSpy progress(m_panel->job(), &ModelQualityJob::progress);
        QSignalSpy finished(m_panel->job(), &ModelQualityJob::finished);
        m_panel->measure();
        QVERIFY(finished.wait(30000));
        QCOMPARE(progress.size(), 0);  // nothing decoded again
        QVERIFY(m_labels->measured(QStringLiteral("Q2_K")).valid());
    }

    void oneMoreLabelRunsThatLabelOnly() {
        m_labels->setChecked(QStringLiteral("Q4_K_M"), true);
        QSignalSpy progress(m_panel->job(), &ModelQualityJob::progress);
        QSignalSpy finished(m_panel->job(), &ModelQualityJob::finished);
        m_panel->measure();
        QVERIFY(finished.wait(240000));
        QCOMPARE(finished.first().at(1).toString(), QString());
        QVERIFY(progress.size() > 0);
        for (const auto &p : progress) QCOMPARE(p.at(0).toString(), QStringLiteral("Q4_K_M"));  // no base model run
        const MeasuredQuality q4 = m_labels->measured(QStringLiteral("Q4_K_M"));
        QVERIFY(q4.valid() && q4.meanKld > m_labels->measured(QStringLiteral("Q6_K")).meanKld);
        QCOMPARE(leftovers(m_tmp.path(), kBaseLogits).size(), 1);
        m_labels->setChecked(QStringLiteral("Q4_K_M"), false);
    }

    void cancelStopsAndLeavesNothing() {
        m_labels->setChecked(QStringLiteral("Q2_K"), false);
        m_labels->setChecked(QStringLiteral("Q6_K"), false);
        m_labels->setChecked(QStringLiteral("Q3_K_M"), true);
        m_panel->setChunks(0);  // all 76 chunks: long enough to cancel in the middle
        QSignalSpy progress(m_panel->job(), &ModelQualityJob::progress);
        QSignalSpy finished(m_panel->job(), &ModelQualityJob::finished);
        m_panel->measure();
        QVERIFY(progress.wait(120000));
        m_panel->cancel();
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.first().at(0).toBool(), true);
        QVERIFY(!m_labels->measured(QStringLiteral("Q3_K_M")).valid());
        QVERIFY(!m_chart->measuredPoints().count(QStringLiteral("Q3_K_M")));
        QVERIFY(m_panel->status().contains(QStringLiteral("cancelled")));
        QVERIFY(leftovers(m_tmp.path()).isEmpty());
        // Another chunk count: the earlier base run was replaced; this one is kept only if it completed.
        QVERIFY(leftovers(m_tmp.path(), kBaseLogits).size() <= 1);
    }
};

QTEST_MAIN(TestModelQuality)
#include "tst_model_quality.moc"
