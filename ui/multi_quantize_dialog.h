// "Quantize checked…": writes every ticked label of the label list in one pass over the model.
//
// Contract: modeless, so the window stays usable while the job runs. The user picks a folder and
// a file-name pattern ({model} and {label} replaced); labels the rules refuse are listed as
// refused before any work and the others go on. One background MultiQuantizeJob, one progress bar
// per output, one Cancel for all. When it ends each row says written (with size and bits per
// weight), failed (with the reason; its file removed) or cancelled; only written outputs exist.
// Closing the dialog while the job runs cancels it.
#pragma once

#include "label_plans.h"
#include "multi_quantize_job.h"

#include <QDialog>

#include <functional>
#include <memory>
#include <vector>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace qbui {

class MultiQuantizeDialog final : public QDialog {
    Q_OBJECT
  public:
    enum Column { OutputColumn, FileColumn, ProgressColumn, StateColumn, ColumnCount };

    MultiQuantizeDialog(std::shared_ptr<const qb::GgufModel> model, std::vector<LabelPlan> plans,
                        const QString &modelName, const QString &folder, int threads, QWidget *parent = nullptr);

    QString folder() const;
    void setFolder(const QString &folder);
    QString pattern() const;
    void setPattern(const QString &pattern);
    // Starts the job; false (with the reason in statusText()) if it cannot start.
    bool start();
    void cancel();
    MultiQuantizeJob *job() const { return m_job; }
    QString statusText() const;
    QTableWidget *table() const { return m_table; }
    QPushButton *cancelButton() const { return m_cancel; }
    // One more output (a saved mix): listed as refused if it has no plan.
    void addPlan(LabelPlan plan);
    // How "Add saved mix…" turns a preset file into an output; the button shows once this is set.
    void setPresetPlanner(std::function<LabelPlan(const QString &presetPath)> planner);
    // Full paths the outputs get with the current folder and pattern (refused labels excluded).
    QStringList outputPaths() const;

  signals:
    void quantizationFinished(const qbui::MultiQuantizeOutcome &outcome);

  protected:
    void reject() override;

  private:
    void onProgress(int output, int written, int total);
    void onFinished(const MultiQuantizeOutcome &outcome);
    void browse();
    void setRunning(bool running);
    void refreshFileColumn();
    void refreshSummary();
    void addRow(size_t index);
    void chooseSavedMix();

    std::shared_ptr<const qb::GgufModel> m_model;
    std::vector<LabelPlan> m_plans;
    std::vector<size_t> m_runnable; // indices into m_plans with a plan, in job output order
    std::function<LabelPlan(const QString &)> m_presetPlanner;
    QString m_modelName;
    int m_threads;
    MultiQuantizeJob *m_job;
    QLineEdit *m_folder;
    QPushButton *m_browse;
    QLineEdit *m_pattern;
    QTableWidget *m_table;
    QLabel *m_status;
    QPushButton *m_addSavedMix;
    QPushButton *m_start;
    QPushButton *m_cancel;
    QPushButton *m_close;
};

} // namespace qbui
