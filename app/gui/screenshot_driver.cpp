#include "screenshot_driver.h"

#include "histogram_page.h"
#include "main_window.h"
#include "mix_document.h"
#include "model_overview_page.h"
#include "model_session.h"
#include "quality_chart_page.h"
#include "tensor_panel.h"

#include <QFileInfo>
#include <QEventLoop>
#include <QPixmap>
#include <QTabWidget>

namespace qbui {

ScreenshotDriver::ScreenshotDriver(MainWindow *window, QString output, QObject *parent)
    : QObject(parent), m_window(window), m_output(std::move(output)) {
    m_timeout.setSingleShot(true);
    // On timeout, capture what is there: a slow machine still gets a picture, marked in the log.
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        if (m_window->session()->hasModel()) capture();
        else fail(tr("the model did not open in time"));
    });
}

void ScreenshotDriver::start(const QString &modelPath, int timeoutMs) {
    connect(m_window, &MainWindow::modelReady, this, &ScreenshotDriver::onModelReady, Qt::SingleShotConnection);
    connect(m_window->session(), &ModelSession::failed, this,
            [this](const QString &what, const QString &details) { fail(what + QStringLiteral(": ") + details); });
    connect(m_window->histogramPage(), &HistogramPage::resultShown, this, [this](int, qb::AnalysisMode mode) {
        m_histogramExact = m_histogramExact || mode == qb::AnalysisMode::Exact;
        maybeCapture();
    });
    connect(m_window->qualityChart(), &QualityChartPage::finished, this, [this] {
        m_chartDone = true;
        maybeCapture();
    });
    connect(m_window->overviewPage(), &ModelOverviewPage::finished, this, [this] {
        // Only the overview of the chosen label counts, not that of the mix as stored.
        m_overviewDone = m_window->mix()->label() == m_label;
        maybeCapture();
    });
    m_timeout.start(timeoutMs);
    m_window->openPath(modelPath);
}

void ScreenshotDriver::onModelReady() {
    m_window->chooseLabel(m_label);
    const auto model = m_window->session()->model();
    const auto *tensor = model->findTensor(m_tensor.toStdString());
    int index = tensor ? int(tensor - model->tensors().data()) : -1;
    if (index < 0) {
        for (size_t i = 0; i < model->tensors().size() && index < 0; ++i)
            if (model->tensors()[i].info->nDims >= 2) index = int(i);
    }
    // Overlay two neighbours of the chosen type, as a person comparing options would.
    m_window->histogramPage()->setComparisonTypes(qb::GgmlType::Q6_K, qb::GgmlType::Q3_K);
    if (index >= 0) m_window->tensorPanel()->selectTensor(index);
}

void ScreenshotDriver::maybeCapture() {
    if (m_histogramExact && m_chartDone && m_overviewDone) {
        // One more turn of the event loop so queued replots and layouts land before the grab.
        QTimer::singleShot(200, this, &ScreenshotDriver::capture);
    }
}

QString ScreenshotDriver::siblingPath(const QString &suffix) const {
    QString base = m_output;
    if (base.endsWith(QStringLiteral(".png"), Qt::CaseInsensitive)) base.chop(4);
    return base + suffix + QStringLiteral(".png");
}

bool ScreenshotDriver::grabPage(QWidget *page, const QString &path) {
    // The tab holding page (the chart sits inside the Fit-to-size page) comes to the front.
    if (auto *tabs = m_window->findChild<QTabWidget *>()) {
        for (QWidget *w = page; w; w = w->parentWidget())
            if (tabs->indexOf(w) >= 0) {
                tabs->setCurrentWidget(w);
                break;
            }
    }
    // Layout, queued replots and painting land before the grab.
    QEventLoop settle;
    QTimer::singleShot(300, &settle, &QEventLoop::quit);
    settle.exec();
    const QPixmap pixmap = m_window->grab();
    if (pixmap.isNull() || !pixmap.save(path, "PNG")) {
        emit done(false, tr("could not write %1").arg(path));
        return false;
    }
    return true;
}

void ScreenshotDriver::capture() {
    if (m_finished) return;
    m_finished = true;
    m_timeout.stop();
    const QString chart = siblingPath(QStringLiteral("-chart")), overview = siblingPath(QStringLiteral("-overview"));
    if (!grabPage(m_window->histogramPage(), m_output) || !grabPage(m_window->qualityChart(), chart) ||
        !grabPage(m_window->overviewPage(), overview))
        return;
    emit done(true, tr("wrote %1, %2 and %3 (%4 × %5)")
                        .arg(m_output, chart, overview)
                        .arg(m_window->width())
                        .arg(m_window->height()));
}

void ScreenshotDriver::fail(const QString &message) {
    if (m_finished) return;
    m_finished = true;
    m_timeout.stop();
    emit done(false, message);
}

} // namespace qbui
