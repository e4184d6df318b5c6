// "Fit to size": a target (the whole output file in GB, or bits per weight of the tensor data),
// chosen with a slider across the labels' range or a spin box; the optimizer's frontier for the
// chart; Apply hands the mix to the main window.
//
// Contract: the per-tensor curves (the slow part: one analysis per candidate pair) are built in
// the background whenever the model, importance matrix or pins change, with progress and
// cancellation (a newer request drops an older result: JobTracker). Once they exist, moving the
// target solves the allocation on the GUI thread (a pure computation of milliseconds, see
// core/optimize/hull_allocator.h) and emits targetSolved, so the chart follows the slider.
// Failures (no mix fits, a pin the tensor cannot take) are shown in the panel, never thrown.
#pragma once

#include "analysis/model_analyzer.h"
#include "job_tracker.h"
#include "optimize/size_optimizer.h"

#include <QWidget>

#include <memory>
#include <optional>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSlider;

namespace qbui {

class FitToSizePanel final : public QWidget {
    Q_OBJECT
  public:
    explicit FitToSizePanel(QWidget *parent = nullptr);
    ~FitToSizePanel() override;

    void setThreads(int threads) { m_threads = threads; }
    // A new model or importance matrix, new pins (the user's overrides: tensor name -> type) or
    // another rule set (the window's llama.cpp). imatrixFile: the name the output will record.
    // Starts building the curves.
    void setModel(std::shared_ptr<qb::ModelAnalyzer> analyzer, std::vector<qb::TensorTypeOverride> pins,
                  const std::string &imatrixFile, qb::RuleSet rules);
    void cancel();

    enum class Unit { Gigabytes, BitsPerWeight };
    void setUnit(Unit unit);
    void setTarget(double value); // in the current unit; moves the slider and spin box
    double target() const;

    bool isRunning() const { return m_jobs.isRunning(); }
    bool hasCurves() const { return bool(m_curves); }
    const std::optional<qb::OptimizedMix> &result() const { return m_result; }
    const qb::MixCurves *curves() const { return m_curves.get(); }
    QString status() const;
    QPushButton *applyButton() const { return m_apply; }
    QSlider *slider() const { return m_slider; }

    // Role sensitivities (the objective's weight per tensor role) from a calibration file that
    // `quantbench-cli optimize --calibrate TEXT --save-sensitivity FILE` measured on this model
    // with llama.cpp. Re-weighs the curves at once (no new analysis) and solves again. Returns an
    // empty string, or the error naming the file (nothing changes then).
    QString loadSensitivity(const QString &path);
    void useBuiltinSensitivity();
    QString sensitivitySource() const; // "built-in" or the file's name

    // The frontier: the optimizer's mix at evenly spaced targets across the feasible range.
    std::vector<qb::OptimizedMix> frontier(int points = 24) const;

  signals:
    void curvesReady();
    void targetSolved(const qb::OptimizedMix &mix); // the mix at the current target
    void targetFailed(const QString &message);
    void applyRequested(const qb::OptimizedMix &mix);

  private:
    void solve();
    void chooseSensitivityFile();
    void reweigh();
    qb::RoleSensitivity currentSensitivity() const; // the loaded file's, or the built-in table
    void updateRange();
    qb::SizeTarget currentTarget() const;

    std::shared_ptr<qb::ModelAnalyzer> m_analyzer;
    std::shared_ptr<const qb::MixCurves> m_curves;
    std::optional<qb::OptimizedMix> m_result;
    int m_threads = 1;
    bool m_syncing = false;
    Unit m_unit = Unit::BitsPerWeight;
    double m_lo = 1, m_hi = 16;

    QComboBox *m_unitBox;
    QSlider *m_slider;
    QDoubleSpinBox *m_spin;
    QLabel *m_summary;
    QProgressBar *m_progress;
    QPushButton *m_apply;
    QPushButton *m_sensitivityButton;
    std::optional<qb::RoleSensitivity> m_sensitivity; // none: the built-in table
    QString m_sensitivityFile;
    JobTracker m_jobs; // last: destroyed first, waiting for its worker
};

} // namespace qbui
