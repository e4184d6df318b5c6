// Fills the table's error column in the background: a preview analysis of every tensor whose
// chosen type differs from its stored type.
//
// Contract: scan() cancels any scan still running and starts a new one; results of a cancelled
// or superseded scan are dropped (JobTracker). Results arrive on the GUI thread one tensor at a
// time (errorReady), so the table fills in progressively; progress() reports done/total.
// The analyzer's cache makes a rescan after a small change cheap.
#pragma once

#include "analysis/model_analyzer.h"
#include "job_tracker.h"

#include <QObject>
#include <QString>

#include <memory>
#include <vector>

namespace qbui {

class MixErrorScanner final : public QObject {
    Q_OBJECT
  public:
    explicit MixErrorScanner(QObject *parent = nullptr);
    ~MixErrorScanner() override;

    void scan(std::shared_ptr<qb::ModelAnalyzer> analyzer, std::vector<qb::MixEntry> entries, int threads);
    void cancel();
    bool isRunning() const { return m_jobs.isRunning(); }

  signals:
    void errorReady(int tensor, qb::GgmlType type, double relativeRmse, const QString &failure);
    void progress(int done, int total);
    void finished();

  private:
    JobTracker m_jobs;
};

} // namespace qbui
