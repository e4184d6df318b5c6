// The current mix measured in the GUI's Model quality tab, offscreen, on the real stories-d256 model
// and text through llama.cpp: Q4_K_M with one tensor changed by hand is quantized on the fly and
// measured; its result appears in the panel's table and as a measured point on the chart; it equals
// what `quantbench-cli evaluate --preset` gives for the preset of the same mix, and differs from
// the plain Q4_K_M's; measuring it again comes from the session cache (nothing decoded); changing
// the mix withdraws the result, and the changed mix is measured anew, not served from the cache.
// Without llama.cpp in the build, the panel says what it needs and Measure stays disabled.
#include "window_setup.h"
#include "label_table_model.h"
#include "mix_controller.h"
#include "mix_document.h"
#include "model_quality_job.h"
#include "model_quality_panel.h"
#include "model_quality_results.h"
#include "model_session.h"
#include "quality_chart_page.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QListWidget>
#include <QProcess>
#include <QPushButton>
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
constexpr int kChunks = 4;

int tensorIndex(const qb::GgufModel &model, const char *name) {
    const auto *t = model.findTensor(name);
    return t ? int(t - model.tensors().data()) : -1;
}

// `quantbench-cli evaluate BASE --preset P --json` with the panel's settings; its one candidate.
QJsonObject evaluatePreset(const QString &preset) {
    QProcess p;
    p.start(QCoreApplication::applicationDirPath() + QStringLiteral("/quantbench-cli"),
            {QStringLiteral("evaluate"), kModel, QStringLiteral("--preset"), preset, QStringLiteral("--text"), kText,
             QStringLiteral("--ctx"), QStringLiteral("256"), QStringLiteral("--chunks"), QString::number(kChunks),
             QStringLiteral("--threads"), QStringLiteral("2"), QStringLiteral("--json")});
    if (!p.waitForFinished(240000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        qWarning("evaluate failed: %s", p.readAllStandardError().constData());
        return {};
    }
    return QJsonDocument::fromJson(p.readAllStandardOutput()).object()[QStringLiteral("candidates")].toArray().at(0).toObject();
}

// Exactly equal (the same file, text, context and threads give the same numbers).
bool same(double gui, double cli, const char *what) {
    if (gui == cli) return true;
    qWarning("%s: GUI %.17g, evaluate %.17g", what, gui, cli);
    return false;
}
} // namespace

class TestModelQualityMix : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_tmp;
    ModelSession *m_session = nullptr;
    MixDocument *m_mix = nullptr;
    MixController *m_controller = nullptr;
    LabelTableModel *m_labels = nullptr;
    QualityChartPage *m_chart = nullptr;
    ModelQualityPanel *m_panel = nullptr;
    MeasuredQuality m_first;  // the measured mix
    QString m_firstName;

    // Measure and wait; the models the progress signals named, one entry per signal (none:
    // everything came from the cache); {"failed"} when the measurement did not complete.
    QStringList measure() {
        QSignalSpy progress(m_panel->job(), &ModelQualityJob::progress);
        QSignalSpy finished(m_panel->job(), &ModelQualityJob::finished);
        m_panel->measure();
        if (!finished.wait(240000)) return {QStringLiteral("failed")};
        if (finished.first().at(0).toBool() || !finished.first().at(1).toString().isEmpty()) {
            qWarning("measurement cancelled or failed: %s", qPrintable(finished.first().at(1).toString()));
            return {QStringLiteral("failed")};
        }
        QStringList models;
        for (const auto &p : progress) models.append(p.at(0).toString());
        return models;
    }

private slots:
    void initTestCase() {
        qbtest::useTestSettings(QStringLiteral("tst_model_quality_mix"));
        qputenv("TMPDIR", m_tmp.path().toLocal8Bit());
        m_session = new ModelSession(this);
        m_mix = new MixDocument(this);
        m_controller = new MixController(m_session, m_mix, this);
        QSignalSpy opened(m_session, &ModelSession::modelOpened);
        m_session->open(kModel);
        QVERIFY(opened.wait(30000));
        m_mix->reset(m_session->model());
        m_labels = new LabelTableModel(this);
        m_labels->setEstimates(MixController::estimateLabels(*m_session->model(), nullptr, m_controller->ruleSet()));
        m_chart = new QualityChartPage;
        m_panel = new ModelQualityPanel(m_labels, m_chart);
        m_panel->setMix(m_mix, m_controller);
        m_panel->setModelPath(kModel);
        m_panel->setTextPath(kText);
        m_panel->setContext(256);
        m_panel->setChunks(kChunks);
        m_panel->setThreads(2);
    }
    void cleanupTestCase() {
        delete m_panel;
        delete m_chart;
    }

    void withoutLlamaSaysWhatItNeeds() {
        if (ModelQualityJob::available()) QSKIP("this build links llama.cpp: the measuring tests below run");
        QCOMPARE(m_controller->chooseLabel(QStringLiteral("Q4_K_M")), QString());
        m_panel->setMixChecked(true);
        QVERIFY(m_panel->status().contains(QStringLiteral("fetch-llama.sh")));
        QPushButton *measureButton = nullptr;
        for (auto *b : m_panel->findChildren<QPushButton *>())
            if (b->text() == QStringLiteral("Measure")) measureButton = b;
        QVERIFY(measureButton);
        QVERIFY(!measureButton->isEnabled());
    }

    void mixIsMeasuredAsEvaluateMeasuresItsPreset() {
        if (!ModelQualityJob::available()) QSKIP("this build has no llama.cpp (QB_LLAMA_DIR)");
        QCOMPARE(m_controller->chooseLabel(QStringLiteral("Q4_K_M")), QString());
        const int tensor = tensorIndex(*m_session->model(), "blk.0.ffn_down.weight");
        QVERIFY(tensor >= 0);
        QVERIFY(m_mix->chosenType(tensor) != qb::GgmlType::Q2_K);
        QVERIFY(m_mix->setOverride({tensor}, qb::GgmlType::Q2_K));
        m_panel->setMixChecked(true);
        m_labels->setChecked(QStringLiteral("Q4_K_M"), true);  // the label alone, for comparison
        const QStringList ran = measure();
        QVERIFY(ran.contains(QStringLiteral("base model")) && !ran.contains(QStringLiteral("failed")));
        m_firstName = m_panel->mixResultName();
        QCOMPARE(m_firstName, QStringLiteral("your mix: ") + m_mix->displayName());
        QVERIFY(m_firstName.startsWith(QStringLiteral("your mix: Q4_K_M + 1 override")));

        // Shown like the labels': a row of the results table, a measured point on the chart.
        ModelQualityResults *results = m_panel->results();
        const int row = results->rowOf(m_firstName);
        QVERIFY(row >= 0);
        m_first = results->measured(m_firstName);
        QVERIFY(m_first.valid() && m_first.meanKld > 0 && m_first.p99Kld > m_first.meanKld);
        QCOMPARE(results->index(row, ModelQualityResults::MeanKld).data().toString(), QString::number(m_first.meanKld, 'f', 6));
        QVERIFY(m_chart->measuredPoints().count(m_firstName));
        m_chart->setQualityAxis(QualityChartPage::QualityAxis::MeanKld);
        QTRY_VERIFY(m_chart->measuredGraph() != nullptr);
        bool drawn = false;
        for (auto it = m_chart->measuredGraph()->data()->constBegin(); it != m_chart->measuredGraph()->data()->constEnd(); ++it)
            drawn = drawn || (it->value == m_first.meanKld && it->key == m_first.bitsPerWeight);
        QVERIFY(drawn);

        // Not the label's numbers: the hand-changed tensor (Q2_K) makes the file smaller and worse.
        const MeasuredQuality label = results->measured(QStringLiteral("Q4_K_M"));
        QVERIFY(label.valid());
        QVERIFY(m_first.fileBytes < label.fileBytes);
        QVERIFY(m_first.meanKld > label.meanKld);

        // The same mix saved as a preset and measured by `evaluate`: the same numbers.
        const QString preset = m_tmp.filePath(QStringLiteral("mix.json"));
        QCOMPARE(m_controller->exportPreset(preset), QString());
        const QJsonObject cli = evaluatePreset(preset);
        QVERIFY(!cli.isEmpty());
        QVERIFY(same(m_first.meanKld, cli[QStringLiteral("kld")][QStringLiteral("mean")][QStringLiteral("value")].toDouble(), "mean KLD"));
        QVERIFY(same(m_first.p99Kld, cli[QStringLiteral("kld")][QStringLiteral("p99")].toDouble(), "p99 KLD"));
        QVERIFY(same(m_first.ppl, cli[QStringLiteral("ppl")][QStringLiteral("value")].toDouble(), "PPL"));
        QVERIFY(same(m_first.deltaPpl, cli[QStringLiteral("ppl_difference")][QStringLiteral("value")].toDouble(), "ΔPPL"));
        QVERIFY(same(m_first.sameTop, cli[QStringLiteral("same_top")][QStringLiteral("value")].toDouble(), "same top"));
        QVERIFY(same(m_first.bitsPerWeight, cli[QStringLiteral("bits_per_weight")].toDouble(), "bits per weight"));
        QCOMPARE(double(m_first.fileBytes), cli[QStringLiteral("bytes")].toDouble());
        // No temporary candidate left (ours or evaluate's: it inherits TMPDIR); the base run is kept.
        QVERIFY(QDir(m_tmp.path()).entryList({QStringLiteral(".quantbench-candidate-*")}, QDir::Files | QDir::Hidden).isEmpty());
    }

    void sameMixAgainComesFromTheCache() {
        if (!ModelQualityJob::available()) QSKIP("this build has no llama.cpp (QB_LLAMA_DIR)");
        m_labels->setChecked(QStringLiteral("Q4_K_M"), false);
        m_panel->results()->clear();
        QCOMPARE(measure(), QStringList());  // no chunk decoded, not even the base model's
        QCOMPARE(m_panel->results()->measured(m_firstName).meanKld, m_first.meanKld);
    }

    void changedMixIsWithdrawnThenMeasuredAnew() {
        if (!ModelQualityJob::available()) QSKIP("this build has no llama.cpp (QB_LLAMA_DIR)");
        const int tensor = tensorIndex(*m_session->model(), "blk.1.ffn_down.weight");
        QVERIFY(m_mix->setOverride({tensor}, qb::GgmlType::Q2_K));
        // The result described the mix before the change: gone from the table and the chart.
        QCOMPARE(m_panel->results()->rowOf(m_firstName), -1);
        QVERIFY(!m_chart->measuredPoints().count(m_firstName));
        QVERIFY(m_panel->mixResultName().startsWith(QStringLiteral("your mix: Q4_K_M + 2 override")));
        // Another recipe: decoded again, not the cached result; the base model's run is reused.
        const QStringList ran = measure();
        QVERIFY(!ran.isEmpty());
        for (const QString &model : ran) QCOMPARE(model, m_panel->mixResultName());
        const MeasuredQuality second = m_panel->results()->measured(m_panel->mixResultName());
        QVERIFY(second.valid());
        QVERIFY(second.fileBytes < m_first.fileBytes);
        QVERIFY(second.meanKld != m_first.meanKld);
        QVERIFY(m_chart->measuredPoints().count(m_panel->mixResultName()));
    }

    void filesAreMeasuredAndOtherModelsRefused() {
        if (!ModelQualityJob::available()) QSKIP("this build has no llama.cpp (QB_LLAMA_DIR)");
        m_panel->setMixChecked(false);
        // The base model as a file: itself, so KLD 0 (up to the 16-bit packing) and the same top token.
        m_panel->setFiles({kModel});
        const QStringList ran = measure();
        QVERIFY(!ran.isEmpty() && !ran.contains(QStringLiteral("failed")));
        const MeasuredQuality self = m_panel->results()->measured(QStringLiteral("stories-d256.f32.gguf"));
        QVERIFY(self.valid());
        QVERIFY(std::fabs(self.meanKld) < 1e-5);
        QCOMPARE(self.sameTop, 1.0);
        // A file of another model: refused naming it, before anything is decoded.
        m_panel->setFiles({QStringLiteral(QB_GOLDEN_DIR "/models/stories260K.f32.gguf")});
        QSignalSpy progress(m_panel->job(), &ModelQualityJob::progress);
        QSignalSpy finished(m_panel->job(), &ModelQualityJob::finished);
        m_panel->measure();
        QVERIFY(finished.wait(60000));
        QVERIFY(finished.first().at(1).toString().startsWith(QStringLiteral("stories260K.f32.gguf is not a quantization of the base model")));
        QCOMPARE(progress.size(), 0);
        QVERIFY(m_panel->status().contains(QStringLiteral("stories260K.f32.gguf is not a quantization")));
    }

    // Each added file is a row of its own with a check box, ticked when added: only the ticked
    // files are measured (an unticked file of another model is not even opened), and with nothing
    // else ticked, unticking the last file disables Measure.
    void addedFilesAreTickedOneByOne() {
        const QString other = QStringLiteral(QB_GOLDEN_DIR "/models/stories260K.f32.gguf");
        m_panel->setMixChecked(false);
        for (const QString &l : m_labels->checkedLabels()) m_labels->setChecked(l, false);
        m_panel->setFiles({kModel, other});
        QCOMPARE(m_panel->files(), QStringList({kModel, other}));
        QCOMPARE(m_panel->checkedFiles(), QStringList({kModel, other}));
        m_panel->setFileChecked(other, false);
        QCOMPARE(m_panel->checkedFiles(), QStringList({kModel}));
        m_panel->addFiles({other, kText});  // a listed file keeps its tick; a new one comes ticked
        QCOMPARE(m_panel->files(), QStringList({kModel, other, kText}));
        QCOMPARE(m_panel->checkedFiles(), QStringList({kModel, kText}));
        m_panel->setFileChecked(kText, false);
        auto *list = m_panel->findChild<QListWidget *>();
        QVERIFY(list && list->isVisibleTo(m_panel));
        QCOMPARE(list->count(), 3);
        QCOMPARE(list->item(1)->checkState(), Qt::Unchecked);
        QVERIFY(list->item(1)->flags() & Qt::ItemIsUserCheckable);
        QCOMPARE(list->item(1)->toolTip(), other);
        // Ticking through the view's item (what a click does) is what Measure reads.
        list->item(1)->setCheckState(Qt::Checked);
        QCOMPARE(m_panel->checkedFiles(), QStringList({kModel, other}));
        list->item(1)->setCheckState(Qt::Unchecked);
        if (!ModelQualityJob::available()) QSKIP("this build has no llama.cpp (QB_LLAMA_DIR): not measured");
        QPushButton *measureButton = nullptr;
        for (auto *b : m_panel->findChildren<QPushButton *>())
            if (b->text() == QStringLiteral("Measure")) measureButton = b;
        QVERIFY(measureButton && measureButton->isEnabled());
        m_panel->setFileChecked(kModel, false);
        QVERIFY(!measureButton->isEnabled());  // nothing ticked
        m_panel->setFileChecked(kModel, true);
        QVERIFY(measureButton->isEnabled());
        // Measured: the ticked base-model file only; the unticked other model's file would be refused.
        const QStringList ran = measure();
        QVERIFY(!ran.contains(QStringLiteral("failed")));
        QVERIFY(!ran.contains(QStringLiteral("stories260K.f32.gguf")));
        QVERIFY(m_panel->results()->measured(QStringLiteral("stories-d256.f32.gguf")).valid());
        QCOMPARE(m_panel->results()->rowOf(QStringLiteral("stories260K.f32.gguf")), -1);
    }

    void anotherModelClearsTheResults() {
        if (!ModelQualityJob::available()) QSKIP("this build has no llama.cpp (QB_LLAMA_DIR)");
        QVERIFY(m_panel->results()->rowCount() > 0);
        QVERIFY(!m_chart->measuredPoints().empty());
        m_panel->setModelPath(QStringLiteral(QB_GOLDEN_DIR "/models/stories260K.f32.gguf"));
        QCOMPARE(m_panel->results()->rowCount(), 0);
        QVERIFY(m_chart->measuredPoints().empty());  // the previous model's points are gone too
    }
};

QTEST_MAIN(TestModelQualityMix)
#include "tst_model_quality_mix.moc"
