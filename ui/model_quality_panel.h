// "Model quality": measures the KL divergence and perplexity change of the checked labels (or
// quantized files) against the open model through llama.cpp, in the background (ModelQualityJob).
//
// Contract: the text is chosen once and remembered (QSettings "modelQuality/text"); Measure runs
// the checked labels of the label list and the added files with progress (chunk i of n, ETA) and
// Cancel, the window stays usable; each result fills the label list's KLD/ΔPPL columns and the
// chart's measured points. Without llama.cpp in the build the panel says what it needs.
#pragma once

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace qbui {

class LabelTableModel;
class ModelQualityJob;
class QualityChartPage;

class ModelQualityPanel final : public QWidget {
    Q_OBJECT
public:
    ModelQualityPanel(LabelTableModel *labels, QualityChartPage *chart, QWidget *parent = nullptr);

    void setModelPath(const QString &path);
    void setTextPath(const QString &path);   // remembered for the next session
    QString textPath() const { return m_text; }
    void setFiles(const QStringList &files) { m_files = files; }
    void setContext(int ctx);                // 0: automatic
    void setChunks(int chunks);              // 0: all
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

    LabelTableModel *m_labels;
    QualityChartPage *m_chart;
    ModelQualityJob *m_job;
    QString m_model, m_text;
    QStringList m_files;
    int m_threads = 0;
    QLabel *m_textLabel, *m_status;
    QSpinBox *m_ctx, *m_chunks;
    QPushButton *m_measure, *m_cancel;
    QProgressBar *m_progress;
};

} // namespace qbui
