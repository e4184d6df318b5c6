// The selected tensor up close: the distribution of its weights, the distributions of the
// quantization error and of the relative error (error over the weights' RMS, comparable across
// tensors of any scale) for up to three types overlaid, the metrics side by side, and the per-row
// error profile (one point per output channel analysed).
//
// Histograms are drawn on robust ranges (core's robustRanges: the central 99.9 % of the values,
// read off a preview scout with many bins), the same for preview and exact and for every type
// compared, with the counts outside them noted on each plot; the plots zoom and pan with the
// mouse and return to that range on a double-click.
//
// Contract: showTensor() returns at once. A preview (a sample of rows or of row segments, well
// under 100 ms per type; analysed twice the first time a tensor is seen: scout, then on the
// robust range) is shown first, then an exact analysis of every row replaces it in the background.
// Requests made stale by a newer selection are dropped (JobTracker), and the stale exact analysis
// is cancelled. Rebuilding the plots happens in one function from the stored result.
#pragma once

#include "analysis/model_analyzer.h"
#include "job_tracker.h"

#include <QWidget>

#include <atomic>
#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QTableWidget;
class QTimer;

namespace qbui {

struct TypeAnalysis {
    qb::GgmlType type = qb::GgmlType::F32;
    std::shared_ptr<const qb::TensorAnalysis> analysis; // null when it failed
    QString failure;
};

struct HistogramResult {
    int tensor = -1;
    qb::AnalysisMode mode = qb::AnalysisMode::Preview;
    std::vector<TypeAnalysis> types;
    qb::HistogramRanges ranges; // the robust ranges every histogram of the result was computed on
    // The weights distribution does not depend on the type; when every compared type failed
    // (no kernel, importance data required) it comes from a float analysis instead.
    std::shared_ptr<const qb::TensorAnalysis> weightsSource;
};

class HistogramPage final : public QWidget {
    Q_OBJECT
  public:
    static constexpr int kMaxTypes = 3;
    static constexpr int kBins = 64;

    explicit HistogramPage(QWidget *parent = nullptr);
    ~HistogramPage() override;

    void setAnalyzer(std::shared_ptr<qb::ModelAnalyzer> analyzer);
    void setThreads(int threads) { m_threads = threads; }
    // The tensor and its chosen type (the first of the compared types).
    void showTensor(int tensor, qb::GgmlType chosen);
    // The second and third types to compare (nullopt: none).
    void setComparisonTypes(std::optional<qb::GgmlType> second, std::optional<qb::GgmlType> third);

    const HistogramResult &result() const { return m_result; }
    QCustomPlot *weightsPlot() const { return m_weightsPlot; }
    QCustomPlot *errorPlot() const { return m_errorPlot; }
    QCustomPlot *relativeErrorPlot() const { return m_relativePlot; }
    QCustomPlot *profilePlot() const { return m_profilePlot; }
    QTableWidget *metricsTable() const { return m_metrics; }

    // The ranges the page draws a tensor's histograms on for these types (runs analyses: call it
    // off the GUI thread): the central 99.9 % of each distribution, error and relative error
    // united over the types (core/analysis/robust_range.h).
    static qb::HistogramRanges robustRangesFor(const std::shared_ptr<qb::ModelAnalyzer> &analyzer, int tensor,
                                               const std::vector<qb::GgmlType> &types);

  signals:
    // A result is on screen (preview first, then exact).
    void resultShown(int tensor, qb::AnalysisMode mode);

  private:
    void scheduleRequest();
    void startRequest();
    void startExact(int tensor, std::vector<qb::GgmlType> types, qb::HistogramRanges ranges);
    void applyResult(const HistogramResult &result);
    void rebuildPlots();
    void rebuildMetrics();
    std::vector<qb::GgmlType> requestedTypes() const;
    void fillComparisonChoices();

    std::shared_ptr<qb::ModelAnalyzer> m_analyzer;
    int m_threads = 1;
    int m_tensor = -1;
    qb::GgmlType m_chosen = qb::GgmlType::F32;
    HistogramResult m_result;

    QLabel *m_title;
    QLabel *m_state;
    QComboBox *m_second;
    QComboBox *m_third;
    QCheckBox *m_logScale;
    QCustomPlot *m_weightsPlot;
    QCustomPlot *m_errorPlot;
    QCustomPlot *m_relativePlot;
    QCustomPlot *m_profilePlot;
    QTableWidget *m_metrics;
    QTimer *m_coalesce;
    JobTracker m_jobs; // last: destroyed first, waiting for its worker
};

} // namespace qbui

Q_DECLARE_METATYPE(qbui::HistogramResult)
