// Size against quality for every label: each label a point (bits per weight or GB against the
// aggregate relative RMSE from ModelAnalyzer::summarize), the Pareto front through the labels
// no other label beats on both axes, and the current custom mix as a highlighted point.
//
// Contract: summaries run in the background, one label after another, with progress and a
// Cancel button; each result is plotted as it arrives (summaryReady). A new model, importance
// matrix or label list cancels the running job and drops its late results (JobTracker). Clicking
// a point emits labelClicked. The destructor waits for the worker, so no result outlives the page.
// The quality axis switches between the weights' error (the preview above, instant) and the
// model-level quality measured through llama.cpp (mean KLD, p99 KLD, ΔPPL; setMeasured), whose
// points are drawn as filled diamonds, distinct from the predicted circles.
#pragma once

#include "analysis/model_analyzer.h"
#include "job_tracker.h"
#include "measured_quality.h"
#include "mix_controller.h"

#include <QRectF>
#include <QWidget>

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

class QComboBox;
class QCPAbstractItem;
class QCPGraph;
class QCustomPlot;
class QLabel;
class QProgressBar;
class QPushButton;
class QTimer;

namespace qbui {

class QualityChartPage final : public QWidget {
    Q_OBJECT
  public:
    struct Point {
        double bits = 0;
        double gigabytes = 0;
        double relative = NAN;
        QString failure;
    };

    explicit QualityChartPage(QWidget *parent = nullptr);
    ~QualityChartPage() override;

    void setThreads(int threads) { m_threads = threads; }
    // Starts summarising every available label (cancelling any job still running).
    void setLabels(std::shared_ptr<qb::ModelAnalyzer> analyzer, const std::vector<LabelEstimate> &labels);
    // The mix being edited; summarised after a short pause (edits come in bursts).
    void setCurrentMix(const QString &name, std::vector<qb::MixEntry> mix);
    void cancel();
    // The size optimizer's frontier (one curve through its mixes) and its mix at the current
    // target (drawn as a point); empty to hide them.
    void setFrontier(std::vector<Point> frontier, std::optional<Point> target);
    const std::vector<Point> &frontier() const { return m_frontier; }

    enum class QualityAxis { WeightsError, MeanKld, P99Kld, DeltaPpl };
    void setQualityAxis(QualityAxis axis);
    QualityAxis qualityAxis() const;
    // A measured point (invalid: removed); drawn when the quality axis is a measured one.
    void setMeasured(const QString &name, const MeasuredQuality &quality);
    const std::map<QString, MeasuredQuality> &measuredPoints() const { return m_measured; }
    // The measured points' graph ("measured"), for tests: its data are what is drawn.
    QCPGraph *measuredGraph() const { return m_measuredGraph; }

    bool isRunning() const { return m_labelJobs.isRunning(); }
    const std::map<QString, Point> &points() const { return m_points; }
    const Point &currentMixPoint() const { return m_current; }
    // Labels on the Pareto front, from smallest to largest.
    QStringList paretoFront() const;
    QCustomPlot *plot() const { return m_plot; }
    // The label whose point (or edge marker) lies nearest a pixel position (within a few pixels), or empty.
    QString labelAt(const QPointF &pixel) const;

    // The band the default view shows, in bits per weight.
    static constexpr double kBandLow = 2.0, kBandHigh = 9.0;
    // Back to the default view (also on double-click).
    void resetView();
    bool isDefaultView() const { return !m_userView; }
    // As of the last replot: the labels drawn, by their text, with their pixel rectangles (an edge
    // marker's text names every label clipped to that spot; the current mix's starts "your mix");
    // where each label's marker is drawn (clamped to the edge when outside the view), and which
    // of them are edge markers.
    const std::map<QString, QRectF> &visibleLabels() const { return m_labelRects; }
    std::optional<QPointF> markerPixel(const QString &label) const;
    bool isEdgeMarker(const QString &label) const { return m_edge.count(label) != 0; }
    std::optional<QPointF> currentMixMarker() const { return m_currentMarker; }
    bool currentMixAtEdge() const { return m_currentAtEdge; }
    // The hover text of a label: name, size, bits per weight, error.
    QString toolTipFor(const QString &label) const;

  signals:
    void summaryReady(const QString &label, double relativeRmse, const QString &failure);
    void finished();
    void currentMixSummarised(double relativeRmse);
    void labelClicked(const QString &label);

  private:
    void deliver(const QString &label, const qb::MixSummary &summary, const QString &failure);
    void summariseCurrent();
    void rebuildPlot();
    void rebuildMeasuredPlot();
    double xOf(const Point &p) const;
    void computeDefaultView();
    void applyView(double xLow, double xHigh, double yLow, double yHigh);
    // Runs after every layout of the plot (pixels known): edge markers and label placement.
    void placeLabels();
    void showToolTip(const QPointF &pixel, const QPoint &global);

    std::shared_ptr<qb::ModelAnalyzer> m_analyzer;
    int m_threads = 1;
    std::map<QString, Point> m_points;
    Point m_current;
    std::vector<Point> m_frontier;
    std::optional<Point> m_fitTarget;
    QString m_currentName;
    std::vector<qb::MixEntry> m_currentMix;

    QCustomPlot *m_plot;
    QComboBox *m_axis;
    QComboBox *m_qualityAxis;
    std::map<QString, MeasuredQuality> m_measured;
    QCPGraph *m_measuredGraph = nullptr;
    QCPGraph *m_edgeGraph = nullptr;
    QCPGraph *m_currentGraph = nullptr;
    double m_defaultView[4] = {0, 16, 1e-2, 100}; // x low, x high, y low, y high
    bool m_userView = false;                      // the user zoomed or panned: rebuilding keeps the range
    bool m_settingRange = false;                  // our own range changes are not the user's
    std::map<QString, QPointF> m_markers;
    std::set<QString> m_edge;
    std::map<QString, QRectF> m_labelRects;
    std::vector<QCPAbstractItem *> m_labelItems;
    std::optional<QPointF> m_currentMarker;
    bool m_currentAtEdge = false;
    QLabel *m_status;
    QProgressBar *m_progress;
    QPushButton *m_cancelButton;
    QTimer *m_currentDelay;
    QTimer *m_replotDelay;
    // Last: destroyed first, waiting for their workers.
    JobTracker m_labelJobs;   // every label's summary
    JobTracker m_currentJobs; // the mix being edited
};

} // namespace qbui
