// "Model quality": measures the KL divergence and perplexity change of the checked labels (or
// quantized files) against the open model through llama.cpp, in the background (ModelQualityJob).
//
// Contract: the text is chosen once and remembered (QSettings "modelQuality/text"); Measure runs
// the checked labels of the label list, the current mix (when its box is ticked: the window's mix
// with the user's overrides, quantized on the fly as its preset) and the ticked added files (each
// added file is a row with its own check box, ticked when added), with progress
// (chunk i of n, ETA) and Cancel, the window stays usable. Labels are quantized with the window's
// rule set and importance matrix. Each result fills the panel's results table, the label list's
// KLD/ΔPPL columns (labels) and the chart's measured points. The current mix's result is named
// "your mix: <its name>" and is withdrawn as soon as the mix changes (it no longer describes it).
// Without llama.cpp in the build the panel says what it needs.
#pragma once

#include "measured_quality.h"

#include <QSet>
#include <QWidget>

class QCheckBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace qbui {

class LabelTableModel;
class MixController;
class MixDocument;
class ModelQualityJob;
class ModelQualityResults;
class QualityChartPage;

class ModelQualityPanel final : public QWidget {
    Q_OBJECT
  public:
    ModelQualityPanel(LabelTableModel *labels, QualityChartPage *chart, QWidget *parent = nullptr);

    void setModelPath(const QString &path);
    // The window's mix, so that it can be measured; also gives the labels their rule set and
    // importance matrix.
    void setMix(MixDocument *mix, MixController *controller);
    void setMixChecked(bool checked);
    bool isMixChecked() const;
    // The name the current mix's result is shown under ("your mix: Q4_K_M + 1 override").
    QString mixResultName() const;
    ModelQualityResults *results() const { return m_results; }
    void setTextPath(const QString &path); // remembered for the next session
    QString textPath() const { return m_text; }
    void setFiles(const QStringList &files); // quantized files to measure too, listed under the text, ticked
    void addFiles(const QStringList &files); // appended (ticked), a file already listed stays as it is
    QStringList files() const;               // every listed file, in list order
    QStringList checkedFiles() const;        // the ticked ones: what Measure measures
    void setFileChecked(const QString &file, bool checked);
    void setContext(int ctx);   // 0: automatic
    void setChunks(int chunks); // 0: all
    void setThreads(int threads) { m_threads = threads; }
    ModelQualityJob *job() const { return m_job; }
    QString status() const;

  public slots:
    void measure();
    void cancel();

  private:
    void chooseText();
    void chooseFiles();
    void updateButtons();
    void showMeasured(const QString &name, const MeasuredQuality &quality);
    void mixChanged();

    LabelTableModel *m_labels;
    QualityChartPage *m_chart;
    MixDocument *m_mix = nullptr;
    MixController *m_controller = nullptr;
    ModelQualityJob *m_job;
    ModelQualityResults *m_results;
    QString m_mixMeasured;   // the name the current mix was measured (or is being measured) under
    QSet<QString> m_onChart; // the measured points this panel put on the chart
    QCheckBox *m_mixBox;
    QListWidget *m_fileList = nullptr; // one checkable row per added file (tool tip: its path)
    QString m_model, m_text;
    int m_threads = 0;
    QLabel *m_textLabel, *m_status;
    QSpinBox *m_ctx, *m_chunks;
    QPushButton *m_measure, *m_cancel;
    QProgressBar *m_progress;
};

} // namespace qbui
