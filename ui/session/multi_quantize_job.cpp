#include "multi_quantize_job.h"

#include <exception>

namespace qbui {

MultiQuantizeJob::MultiQuantizeJob(QObject *parent) : QObject(parent) { qRegisterMetaType<MultiQuantizeOutcome>(); }

// A job left running would write into folders nobody watches: m_jobs stops it (cancel flag;
// nothing half-written stays) and waits for it.
MultiQuantizeJob::~MultiQuantizeJob() = default;

void MultiQuantizeJob::start(std::shared_ptr<const qb::GgufModel> model, std::vector<qb::MultiOutputSpec> outputs,
                             int threads) {
    if (isRunning()) return;
    m_clock.start();
    m_lastProgressMs.assign(outputs.size(), -1);

    m_jobs.start(
        [this, model = std::move(model), outputs = std::move(outputs), threads](const JobContext &job) {
            MultiQuantizeOutcome outcome;
            qb::MultiQuantizeOptions options;
            options.threads = threads;
            options.cancel = job.cancelFlag();
            options.outputProgress = [this, job](size_t output, size_t written, size_t total) {
                job.post([this, output, written, total] { deliverProgress(int(output), int(written), int(total)); });
            };
            try {
                outcome.result = qb::runMultiQuantization(*model, outputs, options);
                outcome.cancelled = outcome.result.cancelled;
            } catch (const std::exception &e) {
                // Shared by every output (the input, a kernel): none was written.
                outcome.failure = QString::fromUtf8(e.what());
                outcome.result.outputs.assign(outputs.size(), {});
                for (auto &o : outcome.result.outputs)
                    o.state = qb::OutputState::Failed;
            }
            return outcome;
        },
        [this](MultiQuantizeOutcome outcome) { deliverOutcome(std::move(outcome)); });
}

// The job still reports, with the outputs it cancelled, once every output has stopped.
void MultiQuantizeJob::cancel() { m_jobs.requestCancel(); }

// Never after the outcome: the tracker drops a job's posts once it has delivered.
void MultiQuantizeJob::deliverProgress(int output, int written, int total) {
    if (output < 0 || size_t(output) >= m_lastProgressMs.size()) return; // late update
    const qint64 now = m_clock.elapsed();
    qint64 &last = m_lastProgressMs[size_t(output)];
    if (written < total && last >= 0 && now - last < 100) return; // throttle
    last = now;
    emit outputProgress(output, written, total);
}

void MultiQuantizeJob::deliverOutcome(MultiQuantizeOutcome outcome) { emit finished(outcome); }

} // namespace qbui
