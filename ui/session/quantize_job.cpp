#include "quantize_job.h"

#include "error.h"
#include "gguf/output_file.h"

namespace qbui {

QuantizeJob::QuantizeJob(QObject *parent) : QObject(parent) {
    qRegisterMetaType<QuantizeProgress>();
    qRegisterMetaType<QuantizeOutcome>();
}

// Leaving a running pipeline behind would write into a folder nobody watches: m_jobs stops it
// (cancel flag) and waits for it.
QuantizeJob::~QuantizeJob() = default;

void QuantizeJob::start(std::shared_ptr<const qb::GgufModel> model, qb::ExecutionPlan plan, const QString &outputPath,
                        int threads) {
    if (isRunning()) return;
    m_clock.start();
    m_lastProgressMs = -1;

    m_jobs.start(
        [this, model = std::move(model), plan = std::move(plan), outputPath, threads](const JobContext &job) {
            QuantizeOutcome outcome;
            outcome.outputPath = outputPath;
            qb::PipelineOptions options;
            options.threads = threads;
            options.cancel = job.cancelFlag();
            options.progress = [this, job](const qb::PipelineProgress &p) {
                job.post([this, p] { deliverProgress(p); });
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
            return outcome;
        },
        [this](QuantizeOutcome outcome) { deliverOutcome(std::move(outcome)); });
}

// The run still reports, as Cancelled, once the pipeline stops at its next tensor boundary.
void QuantizeJob::cancel() { m_jobs.requestCancel(); }

// Never after the outcome: the tracker drops a job's posts once it has delivered.
void QuantizeJob::deliverProgress(const qb::PipelineProgress &p) {
    const qint64 now = m_clock.elapsed();
    const bool last = p.tensorIndex + 1 == p.tensorCount;
    if (!last && m_lastProgressMs >= 0 && now - m_lastProgressMs < 100) return; // throttle
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

void QuantizeJob::deliverOutcome(QuantizeOutcome outcome) { emit finished(outcome); }

} // namespace qbui
