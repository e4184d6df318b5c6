// The model overview: a heat map of the whole model (layers × tensor roles) for the current mix,
// coloured by relative error, chosen type or bytes, so a person sees where the loss and the bytes
// go and which layers a label treats differently. Clicking a cell opens that tensor.
//
// Contract: follows the session (a new model, a new importance matrix) and the mix (every
// change, debounced); types and bytes are shown at once, the errors are computed in the background
// (JobTracker, one tensor after another, cached by the analyzer) and fill in progressively with
// a progress bar and a Cancel button. A newer mix supersedes the running job and drops its results.
#pragma once

#include "job_tracker.h"
#include "model_overview_grid.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTimer;

namespace qbui {

class MixDocument;
class ModelSession;
class OverviewHeatMap;

class ModelOverviewPage final : public QWidget {
    Q_OBJECT
  public:
    ModelOverviewPage(ModelSession *session, MixDocument *mix, QWidget *parent = nullptr);
    ~ModelOverviewPage() override;

    void setQuantity(OverviewQuantity quantity);
    OverviewQuantity quantity() const;
    OverviewHeatMap *heatMap() const { return m_map; }
    const ModelOverviewGrid &grid() const;
    const OverviewValues &values() const;
    bool isRunning() const { return m_jobs.isRunning(); }
    void cancel();

  signals:
    void tensorClicked(int tensor);
    // The errors of the current mix are all in (or could not be computed).
    void finished();

  private:
    void onModelOpened();
    void refresh();

    ModelSession *m_session;
    MixDocument *m_mix;
    OverviewHeatMap *m_map;
    QComboBox *m_quantity;
    QLabel *m_status;
    QProgressBar *m_progress;
    QPushButton *m_cancelButton;
    QTimer *m_refreshDelay;
    OverviewValues m_values;
    JobTracker m_jobs; // last: destroyed first, waiting for its worker
};

} // namespace qbui
