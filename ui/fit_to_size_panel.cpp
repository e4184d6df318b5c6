#include "fit_to_size_panel.h"

#include "calibrate/role_calibration.h"
#include "error.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>
#include <QVBoxLayout>

#include <cmath>

namespace qbui {
namespace {

constexpr int kSliderSteps = 1000;

struct CurvesResult {
    std::shared_ptr<const qb::MixCurves> curves;
    QString failure;
};

} // namespace

FitToSizePanel::FitToSizePanel(QWidget *parent)
    : QWidget(parent), m_unitBox(new QComboBox(this)), m_slider(new QSlider(Qt::Horizontal, this)),
      m_spin(new QDoubleSpinBox(this)), m_summary(new QLabel(this)), m_progress(new QProgressBar(this)),
      m_apply(new QPushButton(tr("Apply"), this)), m_sensitivityButton(new QPushButton(this)) {
    m_unitBox->addItem(tr("bits per weight"));
    m_unitBox->addItem(tr("GB (file)"));
    m_slider->setRange(0, kSliderSteps);
    m_spin->setDecimals(3);
    m_progress->setRange(0, 1000);
    m_progress->setVisible(false);
    m_apply->setEnabled(false);
    m_apply->setToolTip(tr("Put the mix in the tensor table; your overrides are kept as pins"));
    m_summary->setWordWrap(true);
    m_summary->setText(tr("Open a model to fit a mix to a size."));
    m_sensitivityButton->setText(tr("Roles: built-in"));
    m_sensitivityButton->setToolTip(
        tr("How much each tensor role's error costs the model's output. Built-in: measured once on a trained "
           "model. For your model, measure it with\n  quantbench-cli optimize MODEL --target-bpw 4.5 --calibrate TEXT "
           "--save-sensitivity FILE\n(llama.cpp's KL divergence) and load FILE here."));
    auto *menu = new QMenu(m_sensitivityButton);
    menu->addAction(tr("Load a calibration file…"), this, &FitToSizePanel::chooseSensitivityFile);
    menu->addAction(tr("Use the built-in table"), this, &FitToSizePanel::useBuiltinSensitivity);
    m_sensitivityButton->setMenu(menu);

    auto *row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Fit to size:"), this));
    row->addWidget(m_slider, 1);
    row->addWidget(m_spin);
    row->addWidget(m_unitBox);
    row->addWidget(m_sensitivityButton);
    row->addWidget(m_apply);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(row);
    layout->addWidget(m_progress);
    layout->addWidget(m_summary);

    connect(m_unitBox, &QComboBox::currentIndexChanged, this,
            [this](int i) { setUnit(i == 0 ? Unit::BitsPerWeight : Unit::Gigabytes); });
    connect(m_slider, &QSlider::valueChanged, this, [this](int v) {
        if (m_syncing) return;
        m_syncing = true;
        m_spin->setValue(m_lo + (m_hi - m_lo) * double(v) / kSliderSteps);
        m_syncing = false;
        solve();
    });
    connect(m_spin, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        if (m_syncing) return;
        m_syncing = true;
        m_slider->setValue(m_hi > m_lo ? int(std::lround((v - m_lo) / (m_hi - m_lo) * kSliderSteps)) : 0);
        m_syncing = false;
        solve();
    });
    connect(m_apply, &QPushButton::clicked, this, [this] {
        if (m_result) emit applyRequested(*m_result);
    });
}

FitToSizePanel::~FitToSizePanel() = default; // m_jobs cancels the curves and waits for its worker

void FitToSizePanel::cancel() {
    m_jobs.cancel();
    m_progress->setVisible(false);
}

void FitToSizePanel::setModel(std::shared_ptr<qb::ModelAnalyzer> analyzer, std::vector<qb::TensorTypeOverride> pins,
                              const std::string &imatrixFile, qb::RuleSet rules) {
    cancel();
    m_analyzer = std::move(analyzer);
    m_curves.reset();
    m_result.reset();
    m_apply->setEnabled(false);
    if (!m_analyzer) {
        m_summary->setText(tr("Open a model to fit a mix to a size."));
        return;
    }
    m_progress->setValue(0);
    m_progress->setVisible(true);
    m_summary->setText(tr("Measuring every tensor's error at every candidate type…"));

    qb::MixCurveRequest request; // its role weights are replaced when the curves arrive (below)
    request.rules = rules;
    request.pins = std::move(pins);
    request.planOptions.imatrixFile = imatrixFile;
    request.threads = m_threads;
    // A newer model, matrix or pins supersedes this request: its curves are dropped.
    m_jobs.start(
        [this, request = std::move(request), analyzer = m_analyzer](const JobContext &job) mutable -> CurvesResult {
            request.cancel = job.cancelFlag();
            request.progress = [this, job](double f) { job.post([this, f] { m_progress->setValue(int(f * 1000)); }); };
            try {
                return {std::make_shared<const qb::MixCurves>(qb::buildMixCurves(*analyzer, request)), {}};
            } catch (const std::exception &e) {
                return {nullptr, QString::fromUtf8(e.what())};
            }
        },
        [this](const CurvesResult &r) {
            m_progress->setVisible(false);
            if (!r.curves) {
                m_summary->setText(tr("Fit to size is not available: %1").arg(r.failure));
                emit targetFailed(r.failure);
                return;
            }
            // The weights chosen now, even if the user changed them while the curves were built.
            auto curves = std::make_shared<qb::MixCurves>(*r.curves);
            qb::applySensitivity(*curves, currentSensitivity());
            m_curves = std::move(curves);
            updateRange();
            emit curvesReady();
            solve();
        });
}

QString FitToSizePanel::loadSensitivity(const QString &path) {
    try {
        m_sensitivity = qb::loadRoleSensitivity(path.toStdString());
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    }
    m_sensitivityFile = path;
    m_sensitivityButton->setText(tr("Roles: %1").arg(QFileInfo(path).fileName()));
    reweigh();
    return {};
}

void FitToSizePanel::useBuiltinSensitivity() {
    m_sensitivity.reset();
    m_sensitivityFile.clear();
    m_sensitivityButton->setText(tr("Roles: built-in"));
    reweigh();
}

qb::RoleSensitivity FitToSizePanel::currentSensitivity() const {
    return m_sensitivity ? *m_sensitivity : qb::builtinRoleSensitivity();
}

QString FitToSizePanel::sensitivitySource() const {
    return m_sensitivityFile.isEmpty() ? tr("built-in") : QFileInfo(m_sensitivityFile).fileName();
}

void FitToSizePanel::chooseSensitivityFile() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Role sensitivities"), QString(),
                                                      tr("Calibration files (*.json);;All files (*)"));
    if (path.isEmpty()) return;
    const QString error = loadSensitivity(path);
    if (!error.isEmpty()) QMessageBox::warning(this, tr("Role sensitivities"), error);
}

// The curves' errors are plainError times the role's weight: new weights need no new analysis.
void FitToSizePanel::reweigh() {
    if (!m_curves) return; // a build in progress picks the weights up when it starts next
    auto curves = std::make_shared<qb::MixCurves>(*m_curves);
    qb::applySensitivity(*curves, currentSensitivity());
    m_curves = std::move(curves);
    emit curvesReady();
    solve();
}

void FitToSizePanel::updateRange() {
    if (!m_curves) return;
    const qb::SizeRange r = qb::feasibleRange(*m_curves);
    if (m_unit == Unit::BitsPerWeight) {
        m_lo = std::ceil(r.smallestBpw * 1000) / 1000;
        m_hi = std::floor(r.largestBpw * 1000) / 1000;
        m_spin->setSuffix(tr(" bpw"));
    } else {
        m_lo = std::ceil(double(r.smallestFile) / 1e6) / 1000;
        m_hi = std::floor(double(r.largestFile) / 1e6) / 1000;
        m_spin->setSuffix(tr(" GB"));
    }
    m_hi = std::max(m_hi, m_lo);
    m_syncing = true;
    m_spin->setRange(m_lo, m_hi);
    m_spin->setSingleStep(m_unit == Unit::BitsPerWeight ? 0.05 : std::max(0.001, (m_hi - m_lo) / 100));
    m_spin->setValue(m_lo + (m_hi - m_lo) * m_slider->value() / kSliderSteps);
    m_syncing = false;
}

void FitToSizePanel::setUnit(Unit unit) {
    if (unit == m_unit) return;
    m_unit = unit;
    m_syncing = true;
    m_unitBox->setCurrentIndex(unit == Unit::BitsPerWeight ? 0 : 1);
    m_syncing = false;
    updateRange();
    solve();
}

void FitToSizePanel::setTarget(double value) { m_spin->setValue(value); }

double FitToSizePanel::target() const { return m_spin->value(); }

qb::SizeTarget FitToSizePanel::currentTarget() const {
    if (m_unit == Unit::BitsPerWeight) return qb::SizeTarget::bpw(m_spin->value());
    return qb::SizeTarget::fileBytes(uint64_t(std::llround(m_spin->value() * 1e9)));
}

void FitToSizePanel::solve() {
    if (!m_curves) return;
    try {
        m_result = qb::solveForTarget(*m_curves, currentTarget());
    } catch (const qb::Error &e) {
        m_result.reset();
        m_apply->setEnabled(false);
        m_summary->setText(QString::fromUtf8(e.what()));
        emit targetFailed(QString::fromUtf8(e.what()));
        return;
    }
    m_apply->setEnabled(true);
    m_summary->setText(status());
    emit targetSolved(*m_result);
}

QString FitToSizePanel::status() const {
    if (!m_result) return m_summary->text();
    return tr("%1 bytes, %2 bits per weight, predicted relative error %3 (base label %4)")
        .arg(m_result->fileBytes)
        .arg(m_result->bitsPerWeight, 0, 'f', 3)
        .arg(m_result->relativeError, 0, 'g', 4)
        .arg(QString::fromUtf8(m_result->baseLabel->name));
}

std::vector<qb::OptimizedMix> FitToSizePanel::frontier(int points) const {
    std::vector<qb::OptimizedMix> out;
    if (!m_curves || points < 2) return out;
    const qb::SizeRange r = qb::feasibleRange(*m_curves);
    for (int i = 0; i < points; ++i) {
        const uint64_t target = r.smallestFile + (r.largestFile - r.smallestFile) * uint64_t(i) / uint64_t(points - 1);
        try {
            out.push_back(qb::solveForTarget(*m_curves, qb::SizeTarget::fileBytes(target)));
        } catch (const qb::Error &) {
        }
    }
    return out;
}

} // namespace qbui
