// MainWindow's "Fit to size": the panel above the size-against-quality chart, its frontier on
// the chart, and Apply, which puts the optimizer's mix in the tensor table with each tensor's
// reason. The user's overrides are the optimizer's pins.
#include "main_window.h"

#include "fit_to_size_panel.h"
#include "mix_controller.h"
#include "mix_document.h"
#include "model_session.h"
#include "quality_chart_page.h"

#include "mix/override_permission.h"
#include "mix/preset.h"

#include <QVBoxLayout>

namespace qbui {
namespace {

QualityChartPage::Point chartPoint(const qb::OptimizedMix &mix) {
    QualityChartPage::Point p;
    p.bits = mix.bitsPerWeight;
    p.gigabytes = double(mix.tensorBytes) / 1e9;
    p.relative = mix.relativeError;
    return p;
}

} // namespace

void MainWindow::setUpFitToSize(QWidget *chartPage) {
    m_fit = new FitToSizePanel(chartPage);
    m_fit->setObjectName(QStringLiteral("fitToSize"));
    auto *layout = new QVBoxLayout(chartPage);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addWidget(m_fit);
    layout->addWidget(m_chart, 1);
    connect(m_fit, &FitToSizePanel::curvesReady, this, [this] {
        std::vector<QualityChartPage::Point> points;
        for (const auto &mix : m_fit->frontier())
            points.push_back(chartPoint(mix));
        std::optional<QualityChartPage::Point> target;
        if (m_fit->result()) target = chartPoint(*m_fit->result());
        m_chart->setFrontier(std::move(points), target);
    });
    connect(m_fit, &FitToSizePanel::targetSolved, this,
            [this](const qb::OptimizedMix &mix) { m_chart->setFrontier(m_chart->frontier(), chartPoint(mix)); });
    connect(m_fit, &FitToSizePanel::targetFailed, this,
            [this](const QString &) { m_chart->setFrontier(m_chart->frontier(), std::nullopt); });
    connect(m_fit, &FitToSizePanel::applyRequested, this, &MainWindow::applyFittedMix);
}

void MainWindow::refreshFitToSize() {
    m_fitPins = m_mix->overrides();
    m_chart->setFrontier({}, std::nullopt);
    const auto model = m_session->model();
    if (!model) {
        m_fit->setModel(nullptr, {}, {}, m_controller->ruleSet());
        return;
    }
    std::vector<qb::TensorTypeOverride> pins;
    for (const auto &[tensor, type] : m_fitPins)
        pins.push_back({qb::exactNamePattern(model->tensors()[size_t(tensor)].info->name), type});
    m_fit->setThreads(m_threads);
    m_fit->setModel(m_session->analyzer(), std::move(pins), m_session->importancePath().toStdString(),
                    m_controller->ruleSet());
}

void MainWindow::applyFittedMix(const qb::OptimizedMix &mix) {
    const auto model = m_session->model();
    const qb::MixCurves *curves = m_fit->curves();
    if (!model || !curves) return;
    // The base label first (its options, the file type), then the optimizer's types with reasons.
    const QString refusal = m_controller->chooseLabel(QString::fromUtf8(mix.baseLabel->name));
    if (!refusal.isEmpty()) {
        showError(tr("Fit to size"), refusal);
        return;
    }
    qb::MixDecision decision;
    try {
        decision = qb::decisionFor(*curves, mix, m_session->importance().get());
    } catch (const std::exception &e) {
        showError(tr("Fit to size"), QString::fromUtf8(e.what()));
        return;
    }
    std::vector<TensorChoice> base(model->tensors().size());
    // The fit sets none of the options that win over a hand-chosen type: the rules' default ones.
    qb::QuantizeOptions options;
    options.rules = decision.rules;
    const std::vector<bool> overridable = qb::overridableTensors(decision, options);
    for (size_t i = 0; i < decision.tensors.size(); ++i) {
        const auto &d = decision.tensors[i];
        base[d.tensor] = {d.target, QString::fromStdString(d.reason), overridable[i]};
    }
    m_mix->applyFittedMix(QString::fromUtf8(mix.baseLabel->name), std::move(base));
}

} // namespace qbui
