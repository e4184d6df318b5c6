#include "model_overview_page.h"

#include "error.h"
#include "mix_document.h"
#include "model_session.h"
#include "overview_heat_map.h"
#include "page_layout.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>

namespace qbui {

ModelOverviewPage::ModelOverviewPage(ModelSession *session, MixDocument *mix, QWidget *parent)
    : QWidget(parent), m_session(session), m_mix(mix), m_map(new OverviewHeatMap(this)),
      m_quantity(new QComboBox(this)), m_status(new QLabel(this)), m_progress(new QProgressBar(this)),
      m_cancelButton(new QPushButton(tr("Cancel"), this)), m_refreshDelay(new QTimer(this)) {
    m_quantity->addItem(tr("Relative error (preview)"));
    m_quantity->addItem(tr("Chosen type (bits per weight)"));
    m_quantity->addItem(tr("Bytes"));
    connect(m_quantity, &QComboBox::currentIndexChanged, this, [this] { m_map->setValues(m_values, quantity()); });
    m_progress->setMaximumWidth(220);
    m_progress->hide();
    m_cancelButton->hide();
    connect(m_cancelButton, &QPushButton::clicked, this, &ModelOverviewPage::cancel);
    connect(m_map, &OverviewHeatMap::tensorClicked, this, &ModelOverviewPage::tensorClicked);

    auto *controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Colour:"), this));
    controls->addWidget(m_quantity);
    layOutJobPage(this, controls, m_status, m_progress, m_cancelButton, m_map);
    m_status->setText(tr("Open a model to see it whole. Click a cell to open its tensor."));

    // A label changes every tensor at once, an override a few in a burst: one refresh for each.
    m_refreshDelay->setSingleShot(true);
    m_refreshDelay->setInterval(150);
    connect(m_refreshDelay, &QTimer::timeout, this, &ModelOverviewPage::refresh);
    connect(m_session, &ModelSession::modelOpened, this, &ModelOverviewPage::onModelOpened);
    connect(m_session, &ModelSession::importanceLoaded, m_refreshDelay, qOverload<>(&QTimer::start));
    connect(m_mix, &MixDocument::changed, m_refreshDelay, qOverload<>(&QTimer::start));
}

ModelOverviewPage::~ModelOverviewPage() = default;

const ModelOverviewGrid &ModelOverviewPage::grid() const { return m_map->grid(); }
const OverviewValues &ModelOverviewPage::values() const { return m_values; }

void ModelOverviewPage::setQuantity(OverviewQuantity quantity) { m_quantity->setCurrentIndex(int(quantity)); }
OverviewQuantity ModelOverviewPage::quantity() const { return OverviewQuantity(m_quantity->currentIndex()); }

void ModelOverviewPage::onModelOpened() {
    m_jobs.cancel();
    m_values = {};
    const auto model = m_session->model();
    QStringList names;
    if (model) {
        names.reserve(qsizetype(model->tensors().size()));
        for (const auto &t : model->tensors())
            names.append(QString::fromStdString(t.info->name));
    }
    m_map->setGrid(model ? ModelOverviewGrid(*model) : ModelOverviewGrid(), std::move(names));
    m_refreshDelay->start();
}

void ModelOverviewPage::cancel() {
    if (!m_jobs.isRunning()) return;
    m_jobs.cancel();
    m_progress->hide();
    m_cancelButton->hide();
    m_status->setText(tr("Cancelled: some errors are not computed (hatched cells)."));
}

void ModelOverviewPage::refresh() {
    const auto model = m_session->model();
    const auto analyzer = m_session->analyzer();
    if (!model || m_mix->tensorCount() != int(model->tensors().size())) return;
    const std::vector<qb::MixEntry> entries = m_mix->entries();
    m_values = overviewSizes(*model, entries);
    m_map->setValues(m_values, quantity());

    std::vector<qb::MixEntry> changed;
    for (const qb::MixEntry &e : entries)
        if (!std::isfinite(m_values.error[e.tensor])) changed.push_back(e);
    const int total = int(changed.size());
    if (!analyzer || total == 0) {
        m_jobs.cancel();
        m_progress->hide();
        m_cancelButton->hide();
        m_status->setText(tr("%1: every tensor keeps its stored type.").arg(m_mix->displayName()));
        emit finished();
        return;
    }
    m_progress->setRange(0, total);
    m_progress->setValue(0);
    m_progress->show();
    m_cancelButton->show();
    m_status->setText(tr("%1: computing the error of %2 tensors…").arg(m_mix->displayName()).arg(total));
    // Results are handed over in batches (at most every 100 ms), so a model with thousands of
    // tensors does not repaint thousands of times.
    m_jobs.start(
        [this, analyzer, changed = std::move(changed)](const JobContext &job) {
            std::vector<std::pair<size_t, double>> batch;
            QElapsedTimer sinceBatch;
            sinceBatch.start();
            int done = 0;
            auto flush = [&] {
                job.post([this, batch, done] {
                    for (const auto &[tensor, error] : batch)
                        m_values.error[tensor] = error;
                    m_progress->setValue(done);
                    m_map->setValues(m_values, quantity());
                });
                batch.clear();
                sinceBatch.restart();
            };
            for (const qb::MixEntry &e : changed) {
                if (job.cancelled()) return;
                double error = NAN; // a tensor that cannot be analysed stays hatched
                try {
                    error = analyzer->analyze(e.tensor, e.type, qb::AnalysisMode::Preview, 64, {}, 1, job.cancelFlag())
                                ->metrics.relativeRmse;
                } catch (const qb::Error &err) {
                    if (err.kind() == qb::ErrorKind::Cancelled) return;
                } catch (const std::exception &) {
                }
                ++done;
                batch.emplace_back(e.tensor, error);
                if (sinceBatch.elapsed() >= 100) flush();
            }
            if (!batch.empty()) flush();
        },
        [this] {
            m_progress->hide();
            m_cancelButton->hide();
            const auto failed =
                std::count_if(m_values.error.begin(), m_values.error.end(), [](double e) { return !std::isfinite(e); });
            m_status->setText(
                failed ? tr("%1: %2 tensors could not be analysed (hatched). Click a cell to open its tensor.")
                             .arg(m_mix->displayName())
                             .arg(failed)
                       : tr("%1. Click a cell to open its tensor.").arg(m_mix->displayName()));
            emit finished();
        });
}

} // namespace qbui
