// The window as a person first uses it (issue #18): opening a model shows something without a
// click (the default label's mix, the largest quantized tensor with its histograms and metrics);
// the quantize dialogs propose absolute paths in the input's folder and remember the folder last
// written to; dropping .gguf files on the window opens the first of them.
#include "golden.h"

#include "histogram_page.h"
#include "label_table_model.h"
#include "main_window.h"
#include "mix_document.h"
#include "model_session.h"
#include "multi_quantize_dialog.h"
#include "output_folders.h"
#include "quantize_dialog.h"
#include "tensor_panel.h"
#include "window_setup.h"

#include "ggml_types.h"

#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFont>
#include <QMimeData>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

class TestFirstUse : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void openingShowsDefaultLabelAndLargestTensor();
    void quantizedModelKeepsItsTypes();
    void quantizeDialogProposesAbsolutePathAndRemembersFolder();
    void quantizeCheckedProposesInputFolderAndRemembersFolder();
    void droppedGgufOpensFirstWithMessage();
    void otherDropsAreRefused();
};

namespace {

QString golden(const char *relative) { return QString::fromStdString(qbtest::golden(relative).string()); }

bool openAndWait(qbui::MainWindow &window, const QString &path) {
    QSignalSpy ready(&window, &qbui::MainWindow::modelReady);
    window.openPath(path);
    return ready.wait(20000);
}

void sendDrop(qbui::MainWindow &window, QMimeData &mime, bool *enterAccepted) {
    QDragEnterEvent enter(QPoint(20, 20), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    enter.ignore();
    QCoreApplication::sendEvent(&window, &enter);
    *enterAccepted = enter.isAccepted();
    QDropEvent drop(QPointF(20, 20), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&window, &drop);
}

} // namespace

void TestFirstUse::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);  // QSettings go to a test location
    QCoreApplication::setOrganizationName(QStringLiteral("QuantBenchTests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_first_use"));
}

void TestFirstUse::init() {
    QSettings settings;
    settings.remove(QLatin1String(qbui::kQuantizeFolderKey));
    settings.remove(QLatin1String(qbui::kQuantizeCheckedFolderKey));
}

void TestFirstUse::openingShowsDefaultLabelAndLargestTensor() {
    qbui::MainWindow window;
    window.show();
    QSignalSpy shown(window.histogramPage(), &qbui::HistogramPage::resultShown);
    QVERIFY(openAndWait(window, golden("models/llama256.f16.gguf")));
    const auto model = window.session()->model();
    qbui::MixDocument *mix = window.mix();
    QCOMPARE(mix->label(), QString::fromLatin1(qbui::MainWindow::kDefaultLabel));
    // The label list marks it as the current label once its estimates are in.
    QTRY_VERIFY_WITH_TIMEOUT(window.labelModel()->rowCount() > 0, 20000);
    const int labelRow = window.labelModel()->rowOf(QStringLiteral("Q4_K_M"));
    QVERIFY(labelRow >= 0);
    QVERIFY(window.labelModel()->index(labelRow, 0).data(Qt::FontRole).value<QFont>().bold());

    // The largest tensor the mix quantizes, found here independently.
    int expected = -1;
    int64_t most = 0;
    for (int t = 0; t < mix->tensorCount(); ++t) {
        const auto &info = *model->tensors()[size_t(t)].info;
        if (qb::typeTraits(mix->chosenType(t)).quantized && info.elements() > most) {
            expected = t;
            most = info.elements();
        }
    }
    QVERIFY(expected >= 0);
    QCOMPARE(window.tensorPanel()->selectedTensors(), QList<int>{expected});

    // Without a click, the page shows that tensor in its chosen type: histograms and metrics.
    qbui::HistogramPage *page = window.histogramPage();
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), 10000);
    QCOMPARE(shown.first().at(0).toInt(), expected);
    QCOMPARE(page->result().tensor, expected);
    QCOMPARE(page->result().types.at(0).type, mix->chosenType(expected));
    QVERIFY2(page->result().types.at(0).analysis, qPrintable(page->result().types.at(0).failure));
    QCOMPARE(page->weightsPlot()->graphCount(), 1);
    QCOMPARE(page->weightsPlot()->graph(0)->dataCount(), qbui::HistogramPage::kBins);
    QCOMPARE(page->errorPlot()->graphCount(), 1);
    QVERIFY(page->metricsTable()->columnCount() >= 1);
    QVERIFY(page->metricsTable()->item(0, 0));
    const QString relative = page->metricsTable()->item(0, 0)->text();
    QVERIFY2(!relative.isEmpty() && relative != QStringLiteral("not available"), qPrintable(relative));
}

void TestFirstUse::quantizedModelKeepsItsTypes() {
    // Requantizing loses quality: a quantized model opens as stored, no label, still with a tensor shown.
    qbui::MainWindow window;
    window.show();
    QSignalSpy shown(window.histogramPage(), &qbui::HistogramPage::resultShown);
    QVERIFY(openAndWait(window, golden("pure/Q4_0.gguf")));
    QVERIFY(window.mix()->label().isEmpty());
    const auto model = window.session()->model();
    for (int t = 0; t < window.mix()->tensorCount(); ++t) QCOMPARE(window.mix()->chosenType(t), model->tensors()[size_t(t)].info->type);
    const QList<int> selected = window.tensorPanel()->selectedTensors();
    QCOMPARE(selected.size(), 1);
    QCOMPARE(selected.first(), window.largestQuantizedTensor());
    QCOMPARE(model->tensors()[size_t(selected.first())].info->type, qb::GgmlType::Q4_0);
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), 10000);
    QCOMPARE(shown.first().at(0).toInt(), selected.first());
    QCOMPARE(window.openQuantizeDialog(), nullptr);  // no label: nothing to write yet
}

void TestFirstUse::quantizeDialogProposesAbsolutePathAndRemembersFolder() {
    // Opened by a path relative to the working directory: the proposal must not depend on it.
    const QString modelPath = golden("models/llama256.f16.gguf");
    const QString modelsDir = QFileInfo(modelPath).absolutePath();
    const QString savedCwd = QDir::currentPath();
    QVERIFY(QDir::setCurrent(QFileInfo(modelsDir).absolutePath()));
    qbui::MainWindow window;
    const bool opened = openAndWait(window, QStringLiteral("models/llama256.f16.gguf"));
    QDir::setCurrent(savedCwd);
    QVERIFY(opened);
    QCOMPARE(window.mix()->label(), QStringLiteral("Q4_K_M"));
    const QString expected = QDir(modelsDir).filePath(QStringLiteral("llama256.f16.Q4_K_M.gguf"));
    QVERIFY(QDir::isAbsolutePath(expected));
    QCOMPARE(window.suggestedOutputPath(), expected);
    QPointer<qbui::QuantizeDialog> dialog = window.openQuantizeDialog();
    QVERIFY(dialog);
    QCOMPARE(dialog->outputPath(), expected);

    // Writing elsewhere makes that folder the next proposal, with the same file name.
    QTemporaryDir elsewhere;
    const QString out = QDir(elsewhere.path()).filePath(QStringLiteral("mine.gguf"));
    dialog->setOutputPath(out);
    QSignalSpy finished(dialog.data(), &qbui::QuantizeDialog::quantizationFinished);
    QVERIFY(dialog->start());
    QVERIFY(finished.wait(60000));
    QVERIFY(QFileInfo::exists(out));
    dialog->close();
    QCOMPARE(window.suggestedOutputPath(), QDir(elsewhere.path()).filePath(QStringLiteral("llama256.f16.Q4_K_M.gguf")));
    QPointer<qbui::QuantizeDialog> second = window.openQuantizeDialog();
    QVERIFY(second);
    QCOMPARE(second->outputPath(), QDir(elsewhere.path()).filePath(QStringLiteral("llama256.f16.Q4_K_M.gguf")));
    second->close();
    // Remembered across windows (QSettings), and forgotten once the folder is gone.
    {
        qbui::MainWindow next;
        QVERIFY(openAndWait(next, modelPath));
        QCOMPARE(next.suggestedOutputPath(), QDir(elsewhere.path()).filePath(QStringLiteral("llama256.f16.Q4_K_M.gguf")));
    }
    QVERIFY(elsewhere.remove());
    QCOMPARE(window.suggestedOutputPath(), expected);
}

void TestFirstUse::quantizeCheckedProposesInputFolderAndRemembersFolder() {
    const QString savedCwd = QDir::currentPath();
    const QString modelsDir = QFileInfo(golden("models/llama256.f16.gguf")).absolutePath();
    QVERIFY(QDir::setCurrent(QFileInfo(modelsDir).absolutePath()));
    qbui::MainWindow window;
    const bool opened = openAndWait(window, QStringLiteral("models/llama256.f16.gguf"));
    QDir::setCurrent(savedCwd);
    QVERIFY(opened);
    QTRY_VERIFY_WITH_TIMEOUT(window.labelModel()->rowCount() > 0, 20000);
    window.labelModel()->setChecked(QStringLiteral("Q8_0"), true);
    QPointer<qbui::MultiQuantizeDialog> dialog = window.openMultiQuantizeDialog();
    QVERIFY(dialog);
    QCOMPARE(dialog->folder(), modelsDir);
    QVERIFY(QDir::isAbsolutePath(dialog->outputPaths().value(0)));

    QTemporaryDir elsewhere;
    dialog->setFolder(elsewhere.path());
    QSignalSpy finished(dialog.data(), &qbui::MultiQuantizeDialog::quantizationFinished);
    QVERIFY(dialog->start());
    QVERIFY(finished.wait(60000));
    dialog->close();
    QPointer<qbui::MultiQuantizeDialog> second = window.openMultiQuantizeDialog();
    QVERIFY(second);
    QCOMPARE(second->folder(), QFileInfo(elsewhere.path()).absoluteFilePath());
    second->close();
    // The single-output dialog keeps its own memory.
    QCOMPARE(QFileInfo(window.suggestedOutputPath()).absolutePath(), modelsDir);
}

void TestFirstUse::droppedGgufOpensFirstWithMessage() {
    qbui::MainWindow window;
    window.show();
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(golden("models/tiny.f16.gguf")), QUrl::fromLocalFile(golden("models/llama256.f16.gguf"))});
    QSignalSpy ready(&window, &qbui::MainWindow::modelReady);
    bool accepted = false;
    sendDrop(window, mime, &accepted);
    QVERIFY(accepted);
    QVERIFY(ready.wait(20000));
    QCOMPARE(ready.count(), 1);
    QCOMPARE(QFileInfo(window.session()->path()).fileName(), QStringLiteral("tiny.f16.gguf"));
    const QString message = window.statusBar()->currentMessage();
    QVERIFY2(message.contains(QLatin1String("tiny.f16.gguf")) && message.contains(QLatin1String("other 1 dropped")), qPrintable(message));
    QTest::qWait(200);
    QCOMPARE(QFileInfo(window.session()->path()).fileName(), QStringLiteral("tiny.f16.gguf"));  // the second never opens
}

void TestFirstUse::otherDropsAreRefused() {
    qbui::MainWindow window;
    window.show();
    QTemporaryDir dir;
    const QString text = dir.filePath(QStringLiteral("notes.txt"));
    QVERIFY(qbtest::writeFile(text, "not a model"));
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(text), QUrl(QStringLiteral("https://example.org/model.gguf"))});
    QSignalSpy failed(window.session(), &qbui::ModelSession::failed);
    QSignalSpy ready(&window, &qbui::MainWindow::modelReady);
    bool accepted = true;
    sendDrop(window, mime, &accepted);
    QVERIFY(!accepted);
    QTest::qWait(300);
    QCOMPARE(ready.count(), 0);
    QCOMPARE(failed.count(), 0);
    QVERIFY(window.session()->path().isEmpty());
}

QTEST_MAIN(TestFirstUse)
#include "tst_first_use.moc"
