// Runs a whole-model quantization in the background for the window.
//
// Contract: start() returns at once; the pipeline runs on its own thread. Progress arrives on the
// GUI thread as plain values, at most every 100 ms, with the current tensor, overall fraction and
// an estimate of the time left. cancel() is honoured at the next tensor boundary; finished() is
// emitted exactly once per start(), with the outcome. On failure or cancellation no output file
// remains (the pipeline's guarantee) and the job can be started again.
#pragma once

#include "gguf/gguf_model.h"
#include "pipeline/quantize_pipeline.h"

#include "job_tracker.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>

namespace qbui {

struct QuantizeProgress {
    int tensorIndex = 0; // tensors written so far
    int tensorCount = 0;
    QString tensorName; // the tensor just written
    QString fromType;
    QString toType;
    double fraction = 0; // of input bytes
    double secondsElapsed = 0;
    double secondsLeft = -1; // -1 until an estimate is possible
};

struct QuantizeOutcome {
    enum class Status { Succeeded, Cancelled, Failed };
    Status status = Status::Failed;
    QString outputPath;
    QString message;              // the error for Failed
    QStringList removedLeftovers; // hidden temporaries of killed runs removed from the output folder
    qb::PipelineResult result;
};

class QuantizeJob final : public QObject {
    Q_OBJECT
  public:
    explicit QuantizeJob(QObject *parent = nullptr);
    ~QuantizeJob() override;

    // The plan shares its importance data, so it stays valid on the job's thread.
    void start(std::shared_ptr<const qb::GgufModel> model, qb::ExecutionPlan plan, const QString &outputPath,
               int threads);
    void cancel();
    bool isRunning() const { return m_jobs.isRunning(); }

  signals:
    void progressChanged(const qbui::QuantizeProgress &progress);
    void finished(const qbui::QuantizeOutcome &outcome);

  private:
    void deliverProgress(const qb::PipelineProgress &p);
    void deliverOutcome(QuantizeOutcome outcome);

    QElapsedTimer m_clock;
    qint64 m_lastProgressMs = -1;
    // Last: destroyed first, cancelling the run and waiting for it. A thread of its own: a
    // quantization takes minutes and must not hold a pool thread the analyses need.
    JobTracker m_jobs{JobTracker::Runner::OwnThread};
};

} // namespace qbui

Q_DECLARE_METATYPE(qbui::QuantizeProgress)
Q_DECLARE_METATYPE(qbui::QuantizeOutcome)
