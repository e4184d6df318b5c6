// Quantizing from the window: the file equals the pipeline's (and llama-quantize's where the
// kernels exist), cancelling leaves nothing, the event loop never blocks, the result opens.
#include "event_loop_gaps.h"
#include "golden.h"

#include "kernels/kernels.h"
#include "main_window.h"
#include "mix_controller.h"
#include "mix_document.h"
#include "model_session.h"
#include "quantize_dialog.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <csignal>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

class TestQuantizeDialog : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void quantizeMatchesPipelineAndGolden();
    void cancelLeavesNoFile();
    void eventLoopStaysResponsive();
    void noLabelNoDialog();
    void fullDiskIsReportedAndWindowStaysUsable();
    void tooLittleFreeSpaceIsRefusedAtOnce();
    void leftoverOfKilledRunIsRemovedWithMessage();

private:
    void openModel(qbui::MainWindow &window);
    // The label to quantize with: Q4_K_M once its kernels exist, BF16 until then.
    QString usableLabel(qbui::MainWindow &window);
    // Shows the window, opens the test model with a usable label and the quantize dialog writing
    // to `output`; null when the dialog did not open.
    qbui::QuantizeDialog *openDialog(qbui::MainWindow &window, const QString &output);
};

void TestQuantizeDialog::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("QuantBenchTests"));
}

void TestQuantizeDialog::openModel(qbui::MainWindow &window) {
    QSignalSpy ready(&window, &qbui::MainWindow::modelReady);
    window.openPath(QString::fromStdString(qbtest::golden("models/llama256.f16.gguf").string()));
    QVERIFY(ready.wait(20000));
}

QString TestQuantizeDialog::usableLabel(qbui::MainWindow &window) {
    if (window.chooseLabel(QStringLiteral("Q4_K_M")).isEmpty()) {
        bool all = true;
        for (int i = 0; i < window.mix()->tensorCount(); ++i) all = all && qb::canQuantize(window.mix()->chosenType(i));
        if (all) return QStringLiteral("Q4_K_M");
    }
    QWARN("Q4_K_M kernels not merged yet: quantizing with BF16");
    window.chooseLabel(QStringLiteral("BF16"));
    return QStringLiteral("BF16");
}

qbui::QuantizeDialog *TestQuantizeDialog::openDialog(qbui::MainWindow &window, const QString &output) {
    window.show();
    openModel(window);
    usableLabel(window);
    qbui::QuantizeDialog *dialog = window.openQuantizeDialog();
    if (dialog) dialog->setOutputPath(output);
    return dialog;
}

void TestQuantizeDialog::quantizeMatchesPipelineAndGolden() {
    qbui::MainWindow window;
    window.chooseRuleSet(qb::RuleSet::B4748); // these tests compare with the golden files of llama.cpp b4748
    window.show();
    openModel(window);
    const QString label = usableLabel(window);
    QTemporaryDir dir;
    qbui::QuantizeDialog *dialog = window.openQuantizeDialog();
    QVERIFY(dialog);
    const QString out = dir.filePath(QStringLiteral("gui.gguf"));
    dialog->setOutputPath(out);
    QSignalSpy finished(dialog, &qbui::QuantizeDialog::quantizationFinished);
    QVERIFY(dialog->start());
    QVERIFY(finished.wait(120000));
    const auto outcome = finished.first().first().value<qbui::QuantizeOutcome>();
    QVERIFY2(outcome.status == qbui::QuantizeOutcome::Status::Succeeded, qPrintable(outcome.message));
    QVERIFY(dialog->statusText().startsWith(QLatin1String("Done")));
    QVERIFY(!dialog->openButton()->isHidden());

    // The same plan through the pipeline directly (what quantbench-cli runs) gives the same bytes.
    QString error;
    const auto plan = window.controller()->buildPlan(&error);
    QVERIFY2(plan, qPrintable(error));
    const QString direct = dir.filePath(QStringLiteral("direct.gguf"));
    qb::runQuantization(*window.session()->model(), *plan, direct.toStdString(), {});
    QCOMPARE(qbtest::readAll(out.toStdString()), qbtest::readAll(direct.toStdString()));

    // Every tensor's data equals llama-quantize's for this label.
    QFile manifestFile(QString::fromStdString(qbtest::golden("mixes/llama256.f16/" + label.toStdString() + ".json").string()));
    QVERIFY(manifestFile.open(QIODevice::ReadOnly));
    const QJsonArray tensors = QJsonDocument::fromJson(manifestFile.readAll()).object().value(QStringLiteral("tensors")).toArray();
    const auto written = qb::GgufFile::open(out.toStdString());
    QCOMPARE(written->tensors().size(), size_t(tensors.size()));
    for (int i = 0; i < tensors.size(); ++i) {
        const QJsonObject t = tensors[i].toObject();
        const auto &info = written->tensors()[size_t(i)];
        QCOMPARE(QString::fromStdString(info.name), t.value(QStringLiteral("name")).toString());
        const auto data = written->tensorData(info);
        QCOMPARE(qbtest::sha256Hex(data.data(), data.size()), t.value(QStringLiteral("sha256")).toString());
    }

    // "Open result" opens the written model in the window.
    QSignalSpy ready(&window, &qbui::MainWindow::modelReady);
    dialog->openButton()->click();
    QVERIFY(ready.wait(20000));
    QCOMPARE(QFileInfo(window.session()->path()).fileName(), QStringLiteral("gui.gguf"));
}

void TestQuantizeDialog::cancelLeavesNoFile() {
    qbui::MainWindow window;
    window.chooseRuleSet(qb::RuleSet::B4748); // these tests compare with the golden files of llama.cpp b4748
    openModel(window);
    usableLabel(window);
    window.setThreads(1);
    QTemporaryDir dir;
    qbui::QuantizeDialog *dialog = window.openQuantizeDialog();
    QVERIFY(dialog);
    dialog->setOutputPath(dir.filePath(QStringLiteral("cancelled.gguf")));
    QSignalSpy finished(dialog, &qbui::QuantizeDialog::quantizationFinished);
    QVERIFY(dialog->start());
    dialog->cancel();
    QVERIFY(finished.wait(60000));
    QCOMPARE(int(finished.first().first().value<qbui::QuantizeOutcome>().status),
             int(qbui::QuantizeOutcome::Status::Cancelled));
    QVERIFY(dialog->statusText().contains(QLatin1String("Nothing was written")));
    QVERIFY(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::System).isEmpty());
    // The window still works.
    QCOMPARE(window.chooseLabel(QStringLiteral("F16")), QString());
}

void TestQuantizeDialog::eventLoopStaysResponsive() {
    qbui::MainWindow window;
    window.chooseRuleSet(qb::RuleSet::B4748); // these tests compare with the golden files of llama.cpp b4748
    QTemporaryDir dir;
    qbui::QuantizeDialog *dialog = openDialog(window, dir.filePath(QStringLiteral("busy.gguf")));
    QVERIFY(dialog);
    QSignalSpy finished(dialog, &qbui::QuantizeDialog::quantizationFinished);
    // Let the new window's first paint and the background label summaries settle: the question
    // here is whether quantizing blocks the loop.
    QTest::qWait(1500);

    // Asserted without timing (a measured gap depends on how busy the machine is; it is printed,
    // not asserted): an event posted right after start() is handled while the job still runs, and
    // the dialog's progress bar moves before the outcome arrives.
    qbtest::EventLoopGaps gaps(/*logLongGaps=*/true);
    int progressBeforeEnd = 0;
    connect(dialog->job(), &qbui::QuantizeJob::progressChanged, this, [&] {
        if (finished.count() == 0) ++progressBeforeEnd;
    });
    gaps.start();
    QVERIFY(dialog->start());
    QVERIFY(dialog->job()->isRunning());
    int finishedBeforePostedEvent = -1;
    QTimer::singleShot(0, this, [&] { finishedBeforePostedEvent = int(finished.count()); });
    QVERIFY(finished.wait(120000));
    gaps.stop();
    QCOMPARE(finishedBeforePostedEvent, 0);
    QVERIFY(progressBeforeEnd >= 1);
    qInfo("largest event-loop gap while quantizing: %lld ms", gaps.worstMs());
}

void TestQuantizeDialog::noLabelNoDialog() {
    // A float model opens with the default label applied; a quantized one opens without a label.
    qbui::MainWindow window;
    window.chooseRuleSet(qb::RuleSet::B4748); // these tests compare with the golden files of llama.cpp b4748
    QSignalSpy ready(&window, &qbui::MainWindow::modelReady);
    window.openPath(QString::fromStdString(qbtest::golden("pure/Q4_0.gguf").string()));
    QVERIFY(ready.wait(20000));
    QVERIFY(window.mix()->label().isEmpty());
    QCOMPARE(window.openQuantizeDialog(), nullptr);
}

// The disk fills up part way (a file size limit of 1 MB, SIGXFSZ ignored, so write() fails with
// EFBIG as on a full disk): the dialog says what failed and where, nothing is left behind, the
// input is untouched, and the same dialog then quantizes successfully once there is room again.
void TestQuantizeDialog::fullDiskIsReportedAndWindowStaysUsable() {
    qbui::MainWindow window;
    window.chooseRuleSet(qb::RuleSet::B4748); // these tests compare with the golden files of llama.cpp b4748
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("full.gguf"));
    qbui::QuantizeDialog *dialog = openDialog(window, out);
    QVERIFY(dialog);
    QSignalSpy finished(dialog, &qbui::QuantizeDialog::quantizationFinished);

    struct rlimit saved {};
    QCOMPARE(getrlimit(RLIMIT_FSIZE, &saved), 0);
    const auto previousHandler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = saved;
    small.rlim_cur = 1 << 20;
    QCOMPARE(setrlimit(RLIMIT_FSIZE, &small), 0);
    const bool started = dialog->start();
    const bool done = started && finished.wait(120000);
    setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, previousHandler);
    QVERIFY(started && done);

    const auto outcome = finished.first().first().value<qbui::QuantizeOutcome>();
    QCOMPARE(int(outcome.status), int(qbui::QuantizeOutcome::Status::Failed));
    QVERIFY2(outcome.message.contains(out) && outcome.message.contains(QLatin1String("File too large")),
             qPrintable(outcome.message));
    QVERIFY2(dialog->statusText().startsWith(QLatin1String("Failed: ")) &&
                 dialog->statusText().contains(QLatin1String("Nothing was written")),
             qPrintable(dialog->statusText()));
    QVERIFY(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::System).isEmpty());
    QCOMPARE(qbtest::readAll(window.session()->path().toStdString()),
             qbtest::readAll(qbtest::golden("models/llama256.f16.gguf")));

    // Still usable: the same dialog, room again, succeeds.
    finished.clear();
    QVERIFY(dialog->start());
    QVERIFY(finished.wait(120000));
    const auto second = finished.first().first().value<qbui::QuantizeOutcome>();
    QVERIFY2(second.status == qbui::QuantizeOutcome::Status::Succeeded, qPrintable(second.message));
    QVERIFY(QFileInfo::exists(out));
}

// The output folder's file system has less free space than the output needs (reported through
// the writer's test hook, QB_TEST_FREE_BYTES): refused before anything is written, with both
// numbers and the folder, and the dialog stays usable.
void TestQuantizeDialog::tooLittleFreeSpaceIsRefusedAtOnce() {
    qbui::MainWindow window;
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("big.gguf"));
    qbui::QuantizeDialog *dialog = openDialog(window, out);
    QVERIFY(dialog);
    QSignalSpy finished(dialog, &qbui::QuantizeDialog::quantizationFinished);
    QSignalSpy progress(dialog->job(), &qbui::QuantizeJob::progressChanged);
    qputenv("QB_TEST_FREE_BYTES", "123456");
    const bool started = dialog->start();
    const bool done = started && finished.wait(20000);
    qunsetenv("QB_TEST_FREE_BYTES");
    QVERIFY(started && done);
    const auto outcome = finished.first().first().value<qbui::QuantizeOutcome>();
    QCOMPARE(int(outcome.status), int(qbui::QuantizeOutcome::Status::Failed));
    QVERIFY2(outcome.message.contains(out) && outcome.message.contains(QLatin1String("it needs ")) &&
                 outcome.message.contains(QLatin1String("only 123456 bytes free in '") + QDir(dir.path()).absolutePath()),
             qPrintable(outcome.message));
    QVERIFY2(dialog->statusText().startsWith(QLatin1String("Failed: ")), qPrintable(dialog->statusText()));
    QCOMPARE(progress.count(), 0);  // refused before the first tensor
    QVERIFY(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::System).isEmpty());
}

// A hidden temporary of a killed run (the fallback where O_TMPFILE is missing; its process id is
// that of a process that has exited) is removed by the next quantization into that folder, and
// the dialog says so; a file that only looks similar is left alone.
void TestQuantizeDialog::leftoverOfKilledRunIsRemovedWithMessage() {
    qbui::MainWindow window;
    window.show();
    openModel(window);
    usableLabel(window);
    QTemporaryDir dir;
    const pid_t gone = fork();  // a process id that was in use and is free again
    if (gone == 0) _exit(0);
    QVERIFY(gone > 0);
    QCOMPARE(waitpid(gone, nullptr, 0), gone);
    const QString leftover = dir.filePath(QStringLiteral(".out.gguf.qbtmp-%1-abc123.partial").arg(gone));
    const QString unrelated = dir.filePath(QStringLiteral(".out.gguf.abc123.partial"));
    for (const QString &path : {leftover, unrelated}) {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("GGUF half");
    }
    qbui::QuantizeDialog *dialog = window.openQuantizeDialog();
    QVERIFY(dialog);
    dialog->setOutputPath(dir.filePath(QStringLiteral("out.gguf")));
    QSignalSpy finished(dialog, &qbui::QuantizeDialog::quantizationFinished);
    QVERIFY(dialog->start());
    QVERIFY(finished.wait(120000));
    const auto outcome = finished.first().first().value<qbui::QuantizeOutcome>();
    QVERIFY2(outcome.status == qbui::QuantizeOutcome::Status::Succeeded, qPrintable(outcome.message));
    QCOMPARE(outcome.removedLeftovers, QStringList{leftover});
    QVERIFY2(dialog->statusText().contains(QLatin1String("left by an interrupted run: ") + leftover),
             qPrintable(dialog->statusText()));
    QVERIFY(!QFileInfo::exists(leftover));
    QVERIFY(QFileInfo::exists(unrelated));
}

QTEST_MAIN(TestQuantizeDialog)
#include "tst_quantize_dialog.moc"
