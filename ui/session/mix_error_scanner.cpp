#include "mix_error_scanner.h"

#include "error.h"

#include <QtConcurrent/QtConcurrentRun>

namespace qbui {

MixErrorScanner::MixErrorScanner(QObject *parent) : QObject(parent) {}

MixErrorScanner::~MixErrorScanner() {
    cancel();
    m_workers.waitAll();  // the workers post to this object: they must finish first
}

void MixErrorScanner::cancel() {
    if (m_cancel) m_cancel->store(true);
    ++m_job;
    m_running = false;
}

void MixErrorScanner::scan(std::shared_ptr<qb::ModelAnalyzer> analyzer, std::vector<qb::MixEntry> entries,
                           int threads) {
    cancel();
    const quint64 job = m_job;
    auto cancelFlag = std::make_shared<std::atomic<bool>>(false);
    m_cancel = cancelFlag;
    if (!analyzer) return;

    // Only tensors that change type have an error to compute.
    const auto &tensors = analyzer->model().tensors();
    std::erase_if(entries, [&](const qb::MixEntry &e) { return tensors.at(e.tensor).info->type == e.type; });
    m_running = true;
    const int total = int(entries.size());
    emit progress(0, total);

    auto deliver = [this, job](auto fn) {
        QMetaObject::invokeMethod(
            this,
            [this, job, fn] {
                if (m_job == job) fn(*this);
            },
            Qt::QueuedConnection);
    };
    // A cancelled predecessor stops at its next batch of rows; its results are dropped by job id.
    m_workers.add(QtConcurrent::run([analyzer, entries = std::move(entries), cancelFlag, threads, total, deliver] {
        int done = 0;
        for (const qb::MixEntry &e : entries) {
            if (cancelFlag->load()) return;
            double rel = NAN;
            QString failure;
            try {
                rel = analyzer->analyze(e.tensor, e.type, qb::AnalysisMode::Preview, 64, {}, threads, cancelFlag.get())
                          ->metrics.relativeRmse;
            } catch (const qb::Error &err) {
                if (err.kind() == qb::ErrorKind::Cancelled) return;
                failure = QString::fromUtf8(err.what());
            } catch (const std::exception &err) {
                failure = QString::fromUtf8(err.what());
            }
            ++done;
            const int tensor = int(e.tensor);
            const qb::GgmlType type = e.type;
            deliver([=](MixErrorScanner &s) {
                emit s.errorReady(tensor, type, rel, failure);
                emit s.progress(done, total);
            });
        }
        deliver([](MixErrorScanner &s) {
            s.m_running = false;
            emit s.finished();
        });
    }));
}

} // namespace qbui
