// The loaded model, its importance matrix and its analyzer, as the whole window shares them.
//
// Contract: open() and loadImportance() return at once and parse in the background; the result
// arrives on the GUI thread as modelOpened()/importanceLoaded() or as failed() with a message
// that says what went wrong. A newer request supersedes an older one still running: its result
// is dropped (a JobTracker per kind of request). Busy while a current request runs. Everything the getters return is
// immutable or internally synchronised, so background analysis jobs may hold copies of the shared pointers while the
// GUI moves on.
#pragma once

#include "analysis/model_analyzer.h"
#include "gguf/gguf_model.h"
#include "imatrix/importance_matrix.h"
#include "job_tracker.h"

#include <QObject>
#include <QString>

#include <memory>

namespace qbui {

class ModelSession final : public QObject {
    Q_OBJECT
  public:
    explicit ModelSession(QObject *parent = nullptr);

    void open(const QString &path);
    void loadImportance(const QString &path);
    void clearImportance();

    bool isLoading() const { return m_openJobs.isRunning() || m_importanceJobs.isRunning(); }
    bool hasModel() const { return bool(m_model); }
    QString path() const { return m_path; }
    QString importancePath() const { return m_importancePath; }

    std::shared_ptr<const qb::GgufModel> model() const { return m_model; }
    std::shared_ptr<const qb::ImportanceMatrix> importance() const { return m_importance; }
    // Rebuilt whenever the model or the importance matrix changes; hold the pointer while working.
    // All analyzers of one model share one result cache (its keys tell importance data apart),
    // so loading, clearing or reloading an importance matrix never recomputes a result seen before.
    std::shared_ptr<qb::ModelAnalyzer> analyzer() const { return m_analyzer; }

    // How many of the model's tensors the importance matrix covers.
    int importanceCoverage() const;

  signals:
    void busyChanged(bool busy);
    void modelOpened();
    void importanceLoaded();
    void failed(const QString &what, const QString &message);

  private:
    // Whether the loaded importance matrix fits the loaded model (qb::checkImportanceFits).
    bool importanceFits() const;
    void rebuildAnalyzer();
    // Emits busyChanged when isLoading() differs from what was last said.
    void updateBusy();

    std::shared_ptr<const qb::GgufModel> m_model;
    std::shared_ptr<const qb::ImportanceMatrix> m_importance;
    std::shared_ptr<qb::ModelAnalyzer> m_analyzer;
    std::shared_ptr<qb::AnalysisCache> m_cache; // the loaded model's results, whatever the importance matrix
    QString m_path;
    QString m_importancePath;
    bool m_busy = false; // what busyChanged last said
    // Last: destroyed (waiting for their workers) before the members their results go to.
    JobTracker m_openJobs;
    JobTracker m_importanceJobs;
};

} // namespace qbui
