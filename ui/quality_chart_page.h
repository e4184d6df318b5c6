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

#include <QWidget>

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <vector>

class QComboBox;
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
    // The label whose point lies nearest a pixel position (within a few pixels), or empty.
    QString labelAt(const QPointF &pixel) const;

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
    QLabel *m_status;
    QProgressBar *m_progress;
    QPushButton *m_cancelButton;
    QTimer *m_currentDelay;
    QTimer *m_replotDelay;
    // Last: destroyed first, waiting for their workers.
    JobTracker m_labelJobs;    // every label's summary
    JobTracker m_currentJobs;  // the mix being edited
};

} // namespace qbui
