// Runs a multi-output quantization (core/pipeline/multi_quantize.h) in the background.
//
// Contract: start() returns at once; the job runs on its own thread. Per-output progress arrives
// on the GUI thread as plain values, at most every 100 ms per output (the last tensor always);
// cancel() stops every output within a slice of the running tensor; finished() is emitted exactly
// once per start() with each output's state. Outputs are all-or-nothing each: only those reported
// Written exist afterwards. The job can be started again once finished.
#pragma once

#include "gguf/gguf_model.h"
#include "pipeline/multi_quantize.h"

#include "job_tracker.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>

#include <memory>
#include <vector>

namespace qbui {

struct MultiQuantizeOutcome {
    qb::MultiQuantizeResult result; // per output: state, error, sizes
    QString failure;                // a failure every output shared (input unreadable ...), else empty
    bool cancelled = false;
};

class MultiQuantizeJob final : public QObject {
    Q_OBJECT
  public:
    explicit MultiQuantizeJob(QObject *parent = nullptr);
    ~MultiQuantizeJob() override;

    // Each plan shares its importance data, so it stays valid on the job's thread.
    void start(std::shared_ptr<const qb::GgufModel> model, std::vector<qb::MultiOutputSpec> outputs, int threads);
    void cancel();
    bool isRunning() const { return m_jobs.isRunning(); }

  signals:
    void outputProgress(int output, int tensorsWritten, int tensorCount);
    void finished(const qbui::MultiQuantizeOutcome &outcome);

  private:
    void deliverProgress(int output, int written, int total);
    void deliverOutcome(MultiQuantizeOutcome outcome);

    QElapsedTimer m_clock;
    std::vector<qint64> m_lastProgressMs;
    // Last: destroyed first, cancelling the run and waiting for it. A thread of its own: a
    // quantization takes minutes and must not hold a pool thread the analyses need.
    JobTracker m_jobs{JobTracker::Runner::OwnThread};
};

} // namespace qbui

Q_DECLARE_METATYPE(qbui::MultiQuantizeOutcome)
