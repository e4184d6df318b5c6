#include "quantize_job.h"

#include "error.h"
#include "gguf/output_file.h"

#include <QMetaObject>

namespace qbui {

QuantizeJob::QuantizeJob(QObject *parent) : QObject(parent) {
    qRegisterMetaType<QuantizeProgress>();
    qRegisterMetaType<QuantizeOutcome>();
}

QuantizeJob::~QuantizeJob() {
    // Leaving a running pipeline behind would write into a folder nobody watches: stop it.
    if (m_cancel) m_cancel->store(true);
    if (m_thread.joinable()) m_thread.join();
}

void QuantizeJob::start(std::shared_ptr<const qb::GgufModel> model, qb::ExecutionPlan plan, const QString &outputPath,
                        int threads) {
    if (m_running) return;
    if (m_thread.joinable()) m_thread.join();  // the previous run has already reported
    m_running = true;
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    m_clock.start();
    m_lastProgressMs = -1;

    m_thread = std::thread([this, model = std::move(model), plan = std::move(plan), outputPath, threads,
                            cancel = m_cancel] {
        QuantizeOutcome outcome;
        outcome.outputPath = outputPath;
        qb::PipelineOptions options;
        options.threads = threads;
        options.cancel = cancel.get();
        options.progress = [this](const qb::PipelineProgress &p) {
            QMetaObject::invokeMethod(this, [this, p] { deliverProgress(p); }, Qt::QueuedConnection);
        };
        // Only where O_TMPFILE is missing can a killed run leave a (hidden) file behind.
        for (const auto &stale : qb::removeStaleTemporaries(qb::outputFolder(outputPath.toStdString())))
            outcome.removedLeftovers << QString::fromStdString(stale.string());
        try {
            outcome.result = qb::runQuantization(*model, plan, outputPath.toStdString(), options);
            outcome.status = QuantizeOutcome::Status::Succeeded;
        } catch (const qb::Error &e) {
            outcome.status = e.kind() == qb::ErrorKind::Cancelled ? QuantizeOutcome::Status::Cancelled
                                                                   : QuantizeOutcome::Status::Failed;
            outcome.message = QString::fromStdString(e.what());
        } catch (const std::exception &e) {
            outcome.status = QuantizeOutcome::Status::Failed;
            outcome.message = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(this, [this, outcome] { deliverOutcome(outcome); }, Qt::QueuedConnection);
    });
}

void QuantizeJob::cancel() {
    if (m_cancel) m_cancel->store(true);
}

void QuantizeJob::deliverProgress(const qb::PipelineProgress &p) {
    if (!m_running) return;  // a late update after the outcome
    const qint64 now = m_clock.elapsed();
    const bool last = p.tensorIndex + 1 == p.tensorCount;
    if (!last && m_lastProgressMs >= 0 && now - m_lastProgressMs < 100) return;  // throttle
    m_lastProgressMs = now;
    QuantizeProgress out;
    out.tensorIndex = int(p.tensorIndex) + 1;
    out.tensorCount = int(p.tensorCount);
    out.tensorName = QString::fromStdString(p.name);
    out.fromType = QString::fromLatin1(qb::typeName(p.from));
    out.toType = QString::fromLatin1(qb::typeName(p.to));
    out.fraction = p.inputBytesTotal ? double(p.inputBytesDone) / double(p.inputBytesTotal) : 1.0;
    out.secondsElapsed = double(now) / 1000.0;
    if (out.fraction > 0.02) out.secondsLeft = out.secondsElapsed * (1.0 - out.fraction) / out.fraction;
    emit progressChanged(out);
}

void QuantizeJob::deliverOutcome(QuantizeOutcome outcome) {
    if (m_thread.joinable()) m_thread.join();
    m_running = false;
    emit finished(outcome);
}

} // namespace qbui
