#include "mix_error_scanner.h"

#include "error.h"

namespace qbui {

MixErrorScanner::MixErrorScanner(QObject *parent) : QObject(parent) {}

MixErrorScanner::~MixErrorScanner() = default; // m_jobs waits for its worker

void MixErrorScanner::cancel() { m_jobs.cancel(); }

void MixErrorScanner::scan(std::shared_ptr<qb::ModelAnalyzer> analyzer, std::vector<qb::MixEntry> entries,
                           int threads) {
    cancel();
    if (!analyzer) return;

    // Only tensors that change type have an error to compute.
    const auto &tensors = analyzer->model().tensors();
    std::erase_if(entries, [&](const qb::MixEntry &e) { return tensors.at(e.tensor).info->type == e.type; });
    const int total = int(entries.size());
    // A cancelled predecessor stops at its next batch of rows; its results are dropped.
    m_jobs.start(
        [this, analyzer, entries = std::move(entries), threads, total](const JobContext &job) {
            int done = 0;
            for (const qb::MixEntry &e : entries) {
                if (job.cancelled()) return;
                double rel = NAN;
                QString failure;
                try {
                    rel = analyzer
                              ->analyze(e.tensor, e.type, qb::AnalysisMode::Preview, 64, {}, threads, job.cancelFlag())
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
                job.post([=, this] {
                    emit errorReady(tensor, type, rel, failure);
                    emit progress(done, total);
                });
            }
        },
        [this] { emit finished(); });
    emit progress(0, total);
}

} // namespace qbui
