// "Quantize checked…" from the window: ticks are a plain part of the label list model (checkable
// rows, refused labels not checkable, ticks kept across a new estimate); the dialog writes every
// ticked label in one background pass, each file equal to llama-quantize's for its label, with a
// progress bar per output; a refused label is listed and the others go on; one Cancel leaves
// nothing; a full disk under one output removes only that output.
#include "file_size_limit.h"
#include "golden.h"
#include "window_setup.h"

#include "label_picker.h"
#include "label_plans.h"
#include "label_table_model.h"
#include "main_window.h"
#include "model_session.h"
#include "multi_quantize_dialog.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <sys/resource.h>

namespace {

QStringList filesIn(const QString &dir) { return QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::System); }

nlohmann::json manifest(const std::string &label) {
    std::ifstream in(qbtest::golden("mixes/llama256.f16/" + label + ".json"));
    return nlohmann::json::parse(in);
}

// Every tensor's bytes and the file size equal llama-quantize's for this label.
bool equalsGolden(const QString &path, const std::string &label) {
    const auto want = manifest(label);
    const auto file = qb::GgufFile::open(path.toStdString());
    if (file->tensors().size() != want["tensors"].size()) return false;
    for (size_t i = 0; i < file->tensors().size(); ++i) {
        const auto data = file->tensorData(file->tensors()[i]);
        if (qbtest::sha256Hex(data.data(), data.size()).toStdString() != want["tensors"][i]["sha256"].get<std::string>())
            return false;
    }
    return QFileInfo(path).size() == want["file_bytes"].get<qint64>();
}

using qbtest::FileSizeLimit;

} // namespace

class TestMultiQuantizeDialog : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void labelRowsAreCheckable();
    void quantizeCheckedWritesEveryLabel();
    void refusedLabelIsListedOthersGoOn();
    void savedMixIsOneMoreOutput();
    void cancelLeavesNothing();
    void fullDiskUnderOneOutputKeepsTheOther();

private:
    void openModel(qbui::MainWindow &window);
};

void TestMultiQuantizeDialog::initTestCase() {
    qbtest::useTestSettings();
}

void TestMultiQuantizeDialog::openModel(qbui::MainWindow &window) {
    QVERIFY(qbtest::openAndWait(window, qbtest::goldenPath("models/llama256.f16.gguf")));
    QTRY_VERIFY_WITH_TIMEOUT(window.labelModel()->rowCount() > 0, 20000);
}

void TestMultiQuantizeDialog::labelRowsAreCheckable() {
    qbui::MainWindow window;
    openModel(window);
    qbui::LabelTableModel *model = window.labelModel();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto *button = window.findChild<qbui::LabelPicker *>()->findChild<QPushButton *>();
    QVERIFY(button);
    QVERIFY(!button->isEnabled());
    QSignalSpy changed(model, &qbui::LabelTableModel::checkedLabelsChanged);

    const QModelIndex q6 = model->index(model->rowOf(QStringLiteral("Q6_K")), qbui::LabelTableModel::Label);
    QVERIFY(model->flags(q6) & Qt::ItemIsUserCheckable);
    QCOMPARE(q6.data(Qt::CheckStateRole).value<Qt::CheckState>(), Qt::Unchecked);
    QVERIFY(model->setData(q6, Qt::Checked, Qt::CheckStateRole));
    model->setChecked(QStringLiteral("Q4_K_S"), true);
    QCOMPARE(q6.data(Qt::CheckStateRole).value<Qt::CheckState>(), Qt::Checked);
    QCOMPARE(model->checkedLabels(), QStringList({QStringLiteral("Q4_K_S"), QStringLiteral("Q6_K")}));  // row order
    QCOMPARE(changed.count(), 2);
    QVERIFY(button->isEnabled());
    // Other columns carry no check box.
    QVERIFY(!(model->flags(model->index(q6.row(), qbui::LabelTableModel::Size)) & Qt::ItemIsUserCheckable));

    // Refused without an importance matrix: listed, not checkable.
    const QModelIndex iq2 = model->index(model->rowOf(QStringLiteral("IQ2_XS")), qbui::LabelTableModel::Label);
    QVERIFY(!(model->flags(iq2) & Qt::ItemIsUserCheckable));
    QVERIFY(!model->setData(iq2, Qt::Checked, Qt::CheckStateRole));
    QVERIFY(!model->checkedLabels().contains(QStringLiteral("IQ2_XS")));

    // A new estimate (same model) keeps the ticks of labels still available.
    std::vector<qbui::LabelEstimate> estimates = model->estimates();
    model->setEstimates(std::move(estimates));
    QCOMPARE(model->checkedLabels(), QStringList({QStringLiteral("Q4_K_S"), QStringLiteral("Q6_K")}));
    model->setChecked(QStringLiteral("Q4_K_S"), false);
    QCOMPARE(model->checkedLabels(), QStringList({QStringLiteral("Q6_K")}));
}

void TestMultiQuantizeDialog::quantizeCheckedWritesEveryLabel() {
    qbui::MainWindow window;
    window.show();
    openModel(window);
    QVERIFY(!window.openMultiQuantizeDialog());  // nothing ticked: refused with a message
    for (const char *label : {"Q4_K_S", "Q4_K_M", "Q8_0"}) window.labelModel()->setChecked(QString::fromLatin1(label), true);
    QTemporaryDir dir;
    qbui::MultiQuantizeDialog *dialog = window.openMultiQuantizeDialog();
    QVERIFY(dialog);
    dialog->setFolder(dir.path());
    QCOMPARE(dialog->pattern(), QStringLiteral("{model}-{label}.gguf"));
    QCOMPARE(dialog->outputPaths().first(), QDir(dir.path()).filePath(QStringLiteral("llama256.f16-Q4_K_S.gguf")));
    QSignalSpy finished(dialog, &qbui::MultiQuantizeDialog::quantizationFinished);
    QVERIFY(dialog->start());
    QVERIFY(dialog->cancelButton()->isEnabled());  // one Cancel for the whole job
    QVERIFY(finished.wait(60000));
    const auto outcome = finished.first().first().value<qbui::MultiQuantizeOutcome>();
    QVERIFY(!outcome.cancelled);
    QVERIFY2(dialog->statusText().startsWith(QLatin1String("3 of 3 outputs written.")), qPrintable(dialog->statusText()));
    for (int row = 0; row < 3; ++row) {
        auto *bar = qobject_cast<QProgressBar *>(dialog->table()->cellWidget(row, qbui::MultiQuantizeDialog::ProgressColumn));
        QVERIFY(bar);
        QCOMPARE(bar->value(), bar->maximum());
        QVERIFY(dialog->table()->item(row, qbui::MultiQuantizeDialog::StateColumn)->text().startsWith(QLatin1String("written")));
    }
    for (const char *label : {"Q4_K_S", "Q4_K_M", "Q8_0"}) {
        const QString path = QDir(dir.path()).filePath(QStringLiteral("llama256.f16-%1.gguf").arg(QLatin1String(label)));
        QVERIFY2(equalsGolden(path, label), label);
    }
    QCOMPARE(filesIn(dir.path()).size(), 3);
}

void TestMultiQuantizeDialog::refusedLabelIsListedOthersGoOn() {
    const auto model = std::shared_ptr<const qb::GgufModel>(qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf")));
    auto plans = qbui::buildLabelPlans(*model, {QStringLiteral("IQ2_XS"), QStringLiteral("Q6_K")}, nullptr, {});
    QVERIFY(!plans[0].plan);
    QVERIFY(plans[0].refusal.contains(QLatin1String("needs an importance matrix")));
    QTemporaryDir dir;
    qbui::MultiQuantizeDialog dialog(model, std::move(plans), QStringLiteral("m"), dir.path(), 2);
    QVERIFY(dialog.table()->item(0, qbui::MultiQuantizeDialog::StateColumn)->text().startsWith(QLatin1String("refused:")));
    QVERIFY(dialog.statusText().contains(QLatin1String("1 refused")));
    dialog.setPattern(QStringLiteral("out-{label}.gguf"));
    QSignalSpy finished(&dialog, &qbui::MultiQuantizeDialog::quantizationFinished);
    QVERIFY(dialog.start());
    QVERIFY(finished.wait(60000));
    QCOMPARE(filesIn(dir.path()), QStringList({QStringLiteral("out-Q6_K.gguf")}));
    QVERIFY(equalsGolden(QDir(dir.path()).filePath(QStringLiteral("out-Q6_K.gguf")), "Q6_K"));
    // A pattern without {label} would give every output one name: refused before starting.
    auto again = qbui::buildLabelPlans(*model, {QStringLiteral("Q4_K_S"), QStringLiteral("Q6_K")}, nullptr, {});
    qbui::MultiQuantizeDialog two(model, std::move(again), QStringLiteral("m"), dir.path(), 2);
    two.setPattern(QStringLiteral("same.gguf"));
    QVERIFY(!two.start());
    QVERIFY(two.statusText().contains(QLatin1String("{label}")));
}

// A saved mix (preset file) is one more output named after the file, equal to its label's file when
// it restates the label; one naming an importance matrix the window has not loaded is refused.
void TestMultiQuantizeDialog::savedMixIsOneMoreOutput() {
    qbui::MainWindow window;
    openModel(window);
    window.labelModel()->setChecked(QStringLiteral("Q6_K"), true);
    QTemporaryDir dir;
    const QString restated = dir.filePath(QStringLiteral("restated.json"));
    const QString withImatrix = dir.filePath(QStringLiteral("needs-imatrix.json"));
    for (const auto &[path, json] :
         {std::pair{restated, QByteArray(R"({"format": "quantbench-preset", "version": 1, "base_label": "Q4_K_M"})")},
          std::pair{withImatrix, QByteArray(R"({"format": "quantbench-preset", "version": 1, "base_label": "IQ2_XS",
                                                "imatrix": {"file": "/elsewhere/other.imatrix.dat"}})")}}) {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(json);
    }
    QTemporaryDir out;
    qbui::MultiQuantizeDialog *dialog = window.openMultiQuantizeDialog();
    QVERIFY(dialog);
    dialog->setFolder(out.path());
    dialog->addPlan(qbui::buildPresetPlan(*window.session()->model(), restated, nullptr, {}));
    dialog->addPlan(qbui::buildPresetPlan(*window.session()->model(), withImatrix, nullptr, {}));
    QCOMPARE(dialog->table()->rowCount(), 3);
    QCOMPARE(dialog->table()->item(1, qbui::MultiQuantizeDialog::OutputColumn)->text(), QStringLiteral("restated"));
    QVERIFY2(dialog->table()->item(2, qbui::MultiQuantizeDialog::StateColumn)->text().contains(QLatin1String("load that matrix")),
             qPrintable(dialog->table()->item(2, qbui::MultiQuantizeDialog::StateColumn)->text()));
    QSignalSpy finished(dialog, &qbui::MultiQuantizeDialog::quantizationFinished);
    QVERIFY(dialog->start());
    QVERIFY(finished.wait(60000));
    QCOMPARE(filesIn(out.path()), QStringList({QStringLiteral("llama256.f16-Q6_K.gguf"), QStringLiteral("llama256.f16-restated.gguf")}));
    QVERIFY(equalsGolden(QDir(out.path()).filePath(QStringLiteral("llama256.f16-restated.gguf")), "Q4_K_M"));
    QVERIFY(equalsGolden(QDir(out.path()).filePath(QStringLiteral("llama256.f16-Q6_K.gguf")), "Q6_K"));
}

void TestMultiQuantizeDialog::cancelLeavesNothing() {
    qbui::MainWindow window;
    openModel(window);
    window.setThreads(1);
    for (const char *label : {"Q4_K_S", "Q5_K_M", "Q6_K", "Q8_0"}) window.labelModel()->setChecked(QString::fromLatin1(label), true);
    QTemporaryDir dir;
    qbui::MultiQuantizeDialog *dialog = window.openMultiQuantizeDialog();
    QVERIFY(dialog);
    dialog->setFolder(dir.path());
    QSignalSpy finished(dialog, &qbui::MultiQuantizeDialog::quantizationFinished);
    QVERIFY(dialog->start());
    dialog->cancel();
    QVERIFY(finished.wait(60000));
    QVERIFY(finished.first().first().value<qbui::MultiQuantizeOutcome>().cancelled);
    QVERIFY2(dialog->statusText().startsWith(QLatin1String("0 of 4 outputs written. Cancelled")), qPrintable(dialog->statusText()));
    QVERIFY(filesIn(dir.path()).isEmpty());
    QCOMPARE(window.chooseLabel(QStringLiteral("F16")), QString());  // the window still works
}

void TestMultiQuantizeDialog::fullDiskUnderOneOutputKeepsTheOther() {
    qbui::MainWindow window;
    openModel(window);
    window.labelModel()->setChecked(QStringLiteral("Q4_K_S"), true);
    window.labelModel()->setChecked(QStringLiteral("Q8_0"), true);
    QTemporaryDir dir;
    qbui::MultiQuantizeDialog *dialog = window.openMultiQuantizeDialog();
    QVERIFY(dialog);
    dialog->setFolder(dir.path());
    QSignalSpy finished(dialog, &qbui::MultiQuantizeDialog::quantizationFinished);
    {
        FileSizeLimit full(rlim_t(manifest("Q4_K_S")["file_bytes"].get<uint64_t>() + 4096));
        QVERIFY(dialog->start());
        QVERIFY(finished.wait(60000));
    }
    QVERIFY2(dialog->statusText().contains(QLatin1String("1 of 2 outputs written. Failed: Q8_0")),
             qPrintable(dialog->statusText()));
    const int q8Row = 1;  // row order of the label list: Q4_K_S before Q8_0
    QVERIFY(dialog->table()->item(q8Row, qbui::MultiQuantizeDialog::StateColumn)->text().startsWith(QLatin1String("failed: ")));
    QCOMPARE(filesIn(dir.path()), QStringList({QStringLiteral("llama256.f16-Q4_K_S.gguf")}));
    QVERIFY(equalsGolden(QDir(dir.path()).filePath(QStringLiteral("llama256.f16-Q4_K_S.gguf")), "Q4_K_S"));
}

QTEST_MAIN(TestMultiQuantizeDialog)
#include "tst_multi_quantize_dialog.moc"
