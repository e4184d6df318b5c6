#include "multi_quantize_job.h"

#include <QMetaObject>

#include <exception>

namespace qbui {

MultiQuantizeJob::MultiQuantizeJob(QObject *parent) : QObject(parent) { qRegisterMetaType<MultiQuantizeOutcome>(); }

MultiQuantizeJob::~MultiQuantizeJob() {
    // A job left running would write into folders nobody watches: stop it (nothing half-written stays).
    if (m_cancel) m_cancel->store(true);
    if (m_thread.joinable()) m_thread.join();
}

void MultiQuantizeJob::start(std::shared_ptr<const qb::GgufModel> model, std::vector<qb::MultiOutputSpec> outputs,
                             int threads) {
    if (m_running) return;
    if (m_thread.joinable()) m_thread.join();  // the previous run has already reported
    m_running = true;
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    m_clock.start();
    m_lastProgressMs.assign(outputs.size(), -1);

    m_thread = std::thread([this, model = std::move(model), outputs = std::move(outputs), threads,
                            cancel = m_cancel] {
        MultiQuantizeOutcome outcome;
        qb::MultiQuantizeOptions options;
        options.threads = threads;
        options.cancel = cancel.get();
        options.outputProgress = [this](size_t output, size_t written, size_t total) {
            QMetaObject::invokeMethod(
                this, [this, output, written, total] { deliverProgress(int(output), int(written), int(total)); },
                Qt::QueuedConnection);
        };
        try {
            outcome.result = qb::runMultiQuantization(*model, outputs, options);
            outcome.cancelled = outcome.result.cancelled;
        } catch (const std::exception &e) {
            // Shared by every output (the input, a kernel): none was written.
            outcome.failure = QString::fromUtf8(e.what());
            outcome.result.outputs.assign(outputs.size(), {});
            for (auto &o : outcome.result.outputs) o.state = qb::OutputState::Failed;
        }
        QMetaObject::invokeMethod(this, [this, outcome] { deliverOutcome(outcome); }, Qt::QueuedConnection);
    });
}

void MultiQuantizeJob::cancel() {
    if (m_cancel) m_cancel->store(true);
}

void MultiQuantizeJob::deliverProgress(int output, int written, int total) {
    if (!m_running || output < 0 || size_t(output) >= m_lastProgressMs.size()) return;  // late update
    const qint64 now = m_clock.elapsed();
    qint64 &last = m_lastProgressMs[size_t(output)];
    if (written < total && last >= 0 && now - last < 100) return;  // throttle
    last = now;
    emit outputProgress(output, written, total);
}

void MultiQuantizeJob::deliverOutcome(MultiQuantizeOutcome outcome) {
    if (m_thread.joinable()) m_thread.join();
    m_running = false;
    emit finished(outcome);
}

} // namespace qbui
