// The GUI's background quantization: progress arrives on the GUI thread, the event loop stays
// responsive, the outcome is reported once, and cancellation leaves no file.
#include "event_loop_gaps.h"
#include "golden.h"

#include "kernels/kernels.h"
#include "quantize_job.h"

#include <QDir>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <QtTest>

namespace {

// Every tensor of the model converted to `type` where it is 2-D, kept as it is otherwise.
qb::ExecutionPlan planAll(const qb::GgufModel &model, qb::GgmlType type) {
    qb::ExecutionPlan plan;
    plan.metadata = model.metadata();
    for (size_t i = 0; i < model.tensors().size(); ++i) {
        const auto &info = *model.tensors()[i].info;
        plan.tensors.push_back({i, info.nDims >= 2 ? type : info.type, {}});
    }
    return plan;
}

qb::GgmlType slowestAvailable() {
    for (qb::GgmlType t : {qb::GgmlType::Q4_K, qb::GgmlType::Q8_0})
        if (qb::canQuantize(t)) return t;
    return qb::GgmlType::BF16;
}

} // namespace


class TestQuantizeJob : public QObject {
    Q_OBJECT
private slots:
    void quantizesInTheBackground();
    void cancelLeavesNoFile();
    void failureIsReported();
};

void TestQuantizeJob::quantizesInTheBackground() {
    std::shared_ptr<const qb::GgufModel> model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("out.gguf"));
    qbui::QuantizeJob job;
    QSignalSpy progress(&job, &qbui::QuantizeJob::progressChanged);
    QSignalSpy finished(&job, &qbui::QuantizeJob::finished);

    // The event loop must keep turning while the job runs. Asserted without timing: an event posted
    // right after start() is handled before the job reports its outcome, and every progress update
    // arrives on this thread while the job still runs. (A measured gap would depend on how busy the
    // machine is; it is printed for whoever looks, not asserted.)
    qbtest::EventLoopGaps gaps;
    int progressOffThread = 0, progressAfterEnd = 0;
    connect(&job, &qbui::QuantizeJob::progressChanged, this, [&] {
        if (QThread::currentThread() != thread()) ++progressOffThread;
        if (!job.isRunning() || finished.count() > 0) ++progressAfterEnd;
    });
    gaps.start();

    job.start(model, planAll(*model, slowestAvailable()), out, 2);
    QVERIFY(job.isRunning());
    int finishedBeforePostedEvent = -1;
    QTimer::singleShot(0, this, [&] { finishedBeforePostedEvent = int(finished.count()); });
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    gaps.stop();

    const auto outcome = finished.at(0).at(0).value<qbui::QuantizeOutcome>();
    QCOMPARE(int(outcome.status), int(qbui::QuantizeOutcome::Status::Succeeded));
    QVERIFY(!job.isRunning());
    QVERIFY(progress.count() >= 1);
    const auto lastProgress = progress.last().at(0).value<qbui::QuantizeProgress>();
    QCOMPARE(lastProgress.tensorIndex, int(model->tensors().size()));
    QCOMPARE(lastProgress.fraction, 1.0);
    const auto written = qb::GgufFile::open(out.toStdString());
    QCOMPARE(written->tensors().size(), model->tensors().size());
    QCOMPARE(outcome.result.fileBytes, written->fileSize());
    QCOMPARE(finishedBeforePostedEvent, 0);
    QCOMPARE(progressOffThread, 0);
    QCOMPARE(progressAfterEnd, 0);
    qInfo("largest event-loop gap while quantizing: %lld ms", gaps.worstMs());
}

void TestQuantizeJob::cancelLeavesNoFile() {
    std::shared_ptr<const qb::GgufModel> model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    QTemporaryDir dir;
    qbui::QuantizeJob job;
    QSignalSpy finished(&job, &qbui::QuantizeJob::finished);
    job.start(model, planAll(*model, slowestAvailable()), dir.filePath(QStringLiteral("out.gguf")), 1);
    job.cancel();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    const auto outcome = finished.at(0).at(0).value<qbui::QuantizeOutcome>();
    QCOMPARE(int(outcome.status), int(qbui::QuantizeOutcome::Status::Cancelled));
    QVERIFY(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).isEmpty());
    // The job is reusable after a cancellation.
    job.start(model, planAll(*model, qb::GgmlType::BF16), dir.filePath(QStringLiteral("again.gguf")), 2);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 60000);
    QCOMPARE(int(finished.at(1).at(0).value<qbui::QuantizeOutcome>().status),
             int(qbui::QuantizeOutcome::Status::Succeeded));
}

void TestQuantizeJob::failureIsReported() {
    std::shared_ptr<const qb::GgufModel> model = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
    qbui::QuantizeJob job;
    QSignalSpy finished(&job, &qbui::QuantizeJob::finished);
    job.start(model, planAll(*model, qb::GgmlType::BF16),
              QStringLiteral("/nonexistent-folder-for-quantbench/out.gguf"), 1);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
    const auto outcome = finished.at(0).at(0).value<qbui::QuantizeOutcome>();
    QCOMPARE(int(outcome.status), int(qbui::QuantizeOutcome::Status::Failed));
    QVERIFY2(outcome.message.contains(QLatin1String("nonexistent-folder-for-quantbench")), qPrintable(outcome.message));
}

QTEST_MAIN(TestQuantizeJob)
#include "tst_quantize_job.moc"
