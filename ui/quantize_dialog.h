// The quantize dialog: choose the output file, run the current plan with QuantizeJob, follow
// the progress (current tensor, overall, time left), cancel, and open the result.
//
// Contract: the dialog is modeless, so the window stays usable while the job runs. On success it
// shows size, bits per weight and time with an "Open result" button; on cancellation or failure
// it says so and no output file remains (QuantizeJob's guarantee). Closing the dialog while a
// job runs cancels it.
#pragma once

#include "quantize_job.h"

#include <QDialog>

#include <memory>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace qbui {

class QuantizeDialog final : public QDialog {
    Q_OBJECT
  public:
    QuantizeDialog(std::shared_ptr<const qb::GgufModel> model, qb::ExecutionPlan plan, const QString &mixName,
                   const QString &suggestedOutput, int threads, QWidget *parent = nullptr);

    QString outputPath() const;
    void setOutputPath(const QString &path);
    // Starts writing to outputPath(); false (with a message shown) if it cannot start.
    bool start();
    void cancel();
    QuantizeJob *job() const { return m_job; }
    QString statusText() const;
    QPushButton *openButton() const { return m_open; }

  signals:
    void quantizationFinished(const qbui::QuantizeOutcome &outcome);
    void openResult(const QString &path);

  protected:
    void reject() override;

  private:
    void onProgress(const QuantizeProgress &p);
    void onFinished(const QuantizeOutcome &outcome);
    void browse();

    std::shared_ptr<const qb::GgufModel> m_model;
    qb::ExecutionPlan m_plan;
    int m_threads;
    QuantizeJob *m_job;
    QLineEdit *m_output;
    QPushButton *m_browse;
    QLabel *m_summary;
    QLabel *m_tensor;
    QProgressBar *m_progress;
    QLabel *m_status;
    QPushButton *m_start;
    QPushButton *m_cancel;
    QPushButton *m_open;
    QPushButton *m_close;
};

} // namespace qbui
