// The workbench's main window: open a model, see every tensor, choose and tune a mix, look at
// the error it causes, and quantize, without the window ever waiting on the work.
//
// Contract: every slow step (parsing, analysis, summaries, quantization) runs in the background
// and reports back to the GUI thread; errors appear in a banner that names what failed, and the
// window stays usable afterwards. Settings (recent files, thread count, layout) persist in
// QSettings between runs.
#pragma once

#include "job_tracker.h"
#include "rule_set.h"

#include <QMainWindow>

#include "ggml_types.h"

#include <map>
#include <memory>

namespace qb {
struct OptimizedMix;
}

class QAction;
class QLabel;
class QMenu;
class QProgressBar;
class QSplitter;
class QTabWidget;

namespace qbui {

class ErrorBanner;
class FitToSizePanel;
class HistogramPage;
class LabelPicker;
class MultiQuantizeDialog;
class LabelTableModel;
class MixController;
class MixDocument;
class MixErrorScanner;
class ModelInfoPanel;
class ModelOverviewPage;
class ModelSession;
class QualityChartPage;
class ModelQualityPanel;
class QuantizeDialog;
class TensorPanel;

class MainWindow final : public QMainWindow {
    Q_OBJECT
  public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens a .gguf model or, for .dat / .imatrix files, loads an importance matrix.
    void openPath(const QString &path);

    ModelSession *session() const { return m_session; }
    MixDocument *mix() const { return m_mix; }
    TensorPanel *tensorPanel() const { return m_tensors; }
    ModelInfoPanel *infoPanel() const { return m_info; }
    ErrorBanner *banner() const { return m_banner; }
    HistogramPage *histogramPage() const { return m_histogram; }
    MixController *controller() const { return m_controller; }
    LabelTableModel *labelModel() const { return m_labelModel; }
    LabelPicker *labelPicker() const { return m_labelPicker; }
    QualityChartPage *qualityChart() const { return m_chart; }
    FitToSizePanel *fitToSize() const { return m_fit; }
    ModelOverviewPage *overviewPage() const { return m_overview; }

    // Which llama.cpp the mix follows (Tools ▸ Rule Set, remembered in the settings); a refusal of
    // the current label under the new rules is shown in the banner and returned.
    QString chooseRuleSet(qb::RuleSet rules);
    QLabel *rulesStatus() const { return m_rulesStatus; }
    QMenu *rulesMenu() const { return m_rulesMenu; }

    // Applies a label's mix; a refusal is shown in the banner and returned.
    QString chooseLabel(const QString &name);
    // Preset files; errors are shown in the banner and returned (empty on success).
    QString exportPreset(const QString &path);
    QString importPreset(const QString &path);
    // Opens the quantize dialog for the current mix (nullptr, with the reason in the banner, if
    // no plan can be built). The dialog belongs to the window and deletes itself when closed.
    QuantizeDialog *openQuantizeDialog();
    // "Quantize checked…": every ticked label of the label list in one pass (nullptr if none ticked).
    MultiQuantizeDialog *openMultiQuantizeDialog();
    // Where a quantized file goes by default: the folder last written to from the quantize dialog,
    // else the model's; absolute, named <model>.<LABEL>.gguf (ui/output_folders.h).
    QString suggestedOutputPath() const;
    int threads() const { return m_threads; }
    void setThreads(int threads);

    // The first view of a model (main_window_first_view.cpp): a model stored in a float type
    // opens with this label's mix applied, and the largest tensor the mix quantizes selected.
    static constexpr const char *kDefaultLabel = "Q4_K_M";
    int largestQuantizedTensor() const;

  signals:
    // The model's tensors are in the table (after an open completes).
    void modelReady();
    // Every label's size estimate is listed for the current model and importance data.
    void labelsEstimated();

  protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

  private:
    void createMenus();
    void chooseFileToOpen();
    void chooseImportanceMatrix();
    void chooseThreads();
    void showAbout();
    void onModelOpened();
    void showFirstView();
    void onImportanceLoaded();
    void onMixChanged(const QList<int> &tensors);
    void showCurrentTensor();
    void estimateLabels();
    void syncRuleSet(); // menu check marks, status bar and label estimates follow the controller's rule set
    void chooseExportPreset();
    void chooseImportPreset();
    void copyLlamaQuantizeCommand();
    void rescanErrors();
    void updateStatus();
    void addRecentFile(const QString &path);
    void rebuildRecentMenu();
    void showError(const QString &what, const QString &details);

    ModelSession *m_session;
    MixDocument *m_mix;
    MixErrorScanner *m_scanner;
    ErrorBanner *m_banner;
    ModelInfoPanel *m_info;
    TensorPanel *m_tensors;
    HistogramPage *m_histogram;
    MixController *m_controller;
    LabelTableModel *m_labelModel;
    LabelPicker *m_labelPicker;
    QualityChartPage *m_chart;
    ModelQualityPanel *m_quality = nullptr;
    ModelOverviewPage *m_overview = nullptr;
    FitToSizePanel *m_fit = nullptr;
    std::map<int, qb::GgmlType> m_fitPins; // the overrides the fit's curves were built with
    // Fit to size (main_window_fit.cpp).
    void setUpFitToSize(QWidget *chartPage);
    void refreshFitToSize();
    void applyFittedMix(const qb::OptimizedMix &mix);
    int m_currentTensor = -1;
    QTabWidget *m_pages;
    QSplitter *m_splitter;
    QMenu *m_recentMenu = nullptr;
    QMenu *m_viewMenu = nullptr;
    QLabel *m_modelStatus;
    QLabel *m_mixStatus;
    QLabel *m_rulesStatus = nullptr; // "Rules: 2026-09"; click-free, the menu changes it
    QMenu *m_rulesMenu = nullptr;
    QProgressBar *m_busy;
    int m_threads = 1;
    bool m_rescanQueued = false;
    JobTracker m_estimateJobs; // last: destroyed first, waiting for its worker
};

} // namespace qbui
