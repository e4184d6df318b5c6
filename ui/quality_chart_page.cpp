#include "quality_chart_page.h"

#include "analysis/mix_size.h"
#include "chart_label_placer.h"
#include "chart_style.h"
#include "formatting.h"
#include "page_layout.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>
#include <QToolTip>
#include <qcustomplot.h>

#include <algorithm>

namespace qbui {
namespace {

// Zero error (a label that keeps the stored type) cannot sit on a log axis: it is drawn at this floor.
constexpr double kFloorPercent = 1e-3;

double percentOf(double relative) { return std::max(relative * 100.0, kFloorPercent); }

} // namespace

QualityChartPage::QualityChartPage(QWidget *parent)
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_axis(new QComboBox(this)), m_qualityAxis(new QComboBox(this)),
      m_status(new QLabel(this)), m_progress(new QProgressBar(this)),
      m_cancelButton(new QPushButton(tr("Cancel"), this)), m_currentDelay(new QTimer(this)),
      m_replotDelay(new QTimer(this)) {
    m_axis->addItem(tr("Bits per weight"));
    m_axis->addItem(tr("Size (GB)"));
    connect(m_axis, &QComboBox::currentIndexChanged, this, [this] {
        m_userView = false;
        rebuildPlot();
    });
    m_qualityAxis->addItem(tr("Weights' error (preview)"));
    m_qualityAxis->addItem(tr("Mean KLD (measured)"));
    m_qualityAxis->addItem(tr("p99 KLD (measured)"));
    m_qualityAxis->addItem(tr("ΔPPL (measured)"));
    connect(m_qualityAxis, &QComboBox::currentIndexChanged, this, [this] {
        m_userView = false;
        rebuildPlot();
    });
    m_progress->setRange(0, 1000);
    m_progress->setMaximumWidth(220);
    m_progress->hide();
    m_cancelButton->hide();
    connect(m_cancelButton, &QPushButton::clicked, this, &QualityChartPage::cancel);

    styleChart(m_plot, tr("Size against quality"), tr("bits per weight"), tr("relative RMSE (%)"));
    m_plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
    auto ticker = QSharedPointer<QCPAxisTickerLog>::create();
    m_plot->yAxis->setTicker(ticker);
    m_plot->yAxis->setNumberFormat(QStringLiteral("gb"));
    m_plot->legend->setVisible(true);
    m_plot->setMinimumSize(300, 220);
    connect(m_plot, &QCustomPlot::mousePress, this, [this](QMouseEvent *event) {
        const QString label = labelAt(event->position());
        if (!label.isEmpty()) emit labelClicked(label);
    });
    // Wheel zooms, drag pans; a range the user set is kept until double-click.
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    for (QCPAxis *axis : {m_plot->xAxis, m_plot->yAxis})
        connect(axis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, [this] {
            if (!m_settingRange) m_userView = true;
        });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] { resetView(); });
    connect(m_plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent *event) {
        if (event->buttons() == Qt::NoButton) showToolTip(event->position(), event->globalPosition().toPoint());
    });
    connect(m_plot, &QCustomPlot::afterLayout, this, &QualityChartPage::placeLabels);

    m_currentDelay->setSingleShot(true);
    m_currentDelay->setInterval(250);
    connect(m_currentDelay, &QTimer::timeout, this, &QualityChartPage::summariseCurrent);
    // Results arrive one label at a time; the plot is rebuilt at most every 100 ms.
    m_replotDelay->setSingleShot(true);
    m_replotDelay->setInterval(100);
    connect(m_replotDelay, &QTimer::timeout, this, &QualityChartPage::rebuildPlot);

    auto *controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Size axis:"), this));
    controls->addWidget(m_axis);
    controls->addWidget(new QLabel(tr("Quality axis:"), this));
    controls->addWidget(m_qualityAxis);
    layOutJobPage(this, controls, m_status, m_progress, m_cancelButton, m_plot);
    m_status->setText(tr("Open a model to compare its labels."));
}

// The trackers cancel their jobs and wait for the workers before the widgets go.
QualityChartPage::~QualityChartPage() = default;

void QualityChartPage::cancel() {
    if (!m_labelJobs.isRunning()) return;
    m_labelJobs.cancel();
    m_progress->hide();
    m_cancelButton->hide();
    m_status->setText(tr("Cancelled: %1 of %2 labels summarised.")
                          .arg(std::count_if(m_points.begin(), m_points.end(),
                                             [](const auto &p) { return !std::isnan(p.second.relative); }))
                          .arg(m_points.size()));
}

double QualityChartPage::xOf(const Point &p) const { return m_axis->currentIndex() == 0 ? p.bits : p.gigabytes; }

void QualityChartPage::setLabels(std::shared_ptr<qb::ModelAnalyzer> analyzer,
                                 const std::vector<LabelEstimate> &labels) {
    cancel();
    m_analyzer = std::move(analyzer);
    m_points.clear();
    std::vector<std::pair<QString, std::vector<qb::MixEntry>>> work;
    for (const LabelEstimate &e : labels) {
        if (!e.available) continue;
        const QString name = QString::fromLatin1(e.label->name);
        m_points[name] = {e.bitsPerWeight, double(e.bytes) / 1e9, NAN, {}};
        work.emplace_back(name, e.mix);
    }
    rebuildPlot();
    if (!m_analyzer || work.empty()) return;
    m_progress->setValue(0);
    m_progress->show();
    m_cancelButton->show();
    m_status->setText(tr("Summarising %1 labels…").arg(work.size()));

    // A cancelled predecessor stops at its next tensor on its own; its results are dropped.
    m_labelJobs.start(
        [this, analyzer = m_analyzer, work = std::move(work), threads = m_threads](const JobContext &job) {
            QElapsedTimer sinceProgress;
            sinceProgress.start();
            for (size_t i = 0; i < work.size() && !job.cancelled(); ++i) {
                // Not a structured binding: clang 14 (sanitizer builds) cannot capture one in a lambda.
                const QString &name = work[i].first;
                const std::vector<qb::MixEntry> &mix = work[i].second;
                qb::MixSummary summary;
                QString failure;
                auto progress = [&, i](double f) {
                    if (sinceProgress.elapsed() < 100) return;
                    sinceProgress.restart();
                    const int value = int(1000.0 * (double(i) + f) / double(work.size()));
                    job.post([this, value] { m_progress->setValue(value); });
                };
                try {
                    summary = analyzer->summarize(name.toStdString(), mix, qb::AnalysisMode::Preview, threads,
                                                  job.cancelFlag(), progress);
                } catch (const std::exception &e) {
                    if (job.cancelled()) return;
                    failure = QString::fromUtf8(e.what());
                }
                job.post([this, name, summary, failure] { deliver(name, summary, failure); });
            }
        },
        [this] {
            m_progress->hide();
            m_cancelButton->hide();
            int failed = 0;
            for (const auto &[n, p] : m_points)
                failed += !p.failure.isEmpty();
            m_status->setText(
                failed ? tr("%1 labels summarised; %2 could not be analysed (hover the label list for why).")
                             .arg(m_points.size() - size_t(failed))
                             .arg(failed)
                       : tr("%1 labels summarised. Click a point to choose its label.").arg(m_points.size()));
            rebuildPlot();
            emit finished();
        });
}

void QualityChartPage::deliver(const QString &label, const qb::MixSummary &summary, const QString &failure) {
    Point &p = m_points[label];
    p.failure = failure;
    if (failure.isEmpty()) p.relative = summary.weighted ? summary.weightedRelative : summary.relativeRmse;
    emit summaryReady(label, p.relative, failure);
    if (!m_replotDelay->isActive()) m_replotDelay->start();
}

void QualityChartPage::setCurrentMix(const QString &name, std::vector<qb::MixEntry> mix) {
    m_currentName = name;
    m_currentMix = std::move(mix);
    m_currentDelay->start();
}

void QualityChartPage::summariseCurrent() {
    if (!m_analyzer || m_currentMix.empty()) return;
    const qb::MixSize size = qb::mixSize(m_analyzer->model(), m_currentMix);
    m_current = {size.bitsPerWeight, double(size.bytes) / 1e9, NAN, {}};
    // Supersedes (and cancels) the summary of an earlier edit.
    m_currentJobs.start(
        [analyzer = m_analyzer, mix = m_currentMix, threads = m_threads](const JobContext &job) {
            std::pair<qb::MixSummary, QString> out; // the summary, or why there is none
            try {
                out.first = analyzer->summarize("current", mix, qb::AnalysisMode::Preview, threads, job.cancelFlag());
            } catch (const std::exception &e) {
                out.second = QString::fromUtf8(e.what()); // when cancelled, superseded: dropped
            }
            return out;
        },
        [this](const std::pair<qb::MixSummary, QString> &out) {
            const auto &[s, failure] = out;
            m_current.failure = failure;
            m_current.relative = failure.isEmpty() ? (s.weighted ? s.weightedRelative : s.relativeRmse) : NAN;
            rebuildPlot();
            emit currentMixSummarised(m_current.relative);
        });
}

QStringList QualityChartPage::paretoFront() const {
    std::vector<std::tuple<double, double, QString>> points;
    for (const auto &[name, p] : m_points)
        if (std::isfinite(p.relative)) points.emplace_back(xOf(p), p.relative, name);
    std::sort(points.begin(), points.end());
    // From the smallest up, a label is on the front when its error beats every smaller label's:
    // no other label is at most as large and at most as wrong (and better in one of the two).
    // Labels with the same size and error (e.g. MXFP4_MOE and Q8_0 on a model without experts)
    // dominate neither each other: both are on the front.
    QStringList front;
    double best = INFINITY, bestX = -INFINITY;
    for (const auto &[x, rel, name] : points) {
        if (rel < best || (rel == best && x == bestX)) {
            best = rel;
            bestX = x;
            front.append(name);
        }
    }
    return front;
}

QString QualityChartPage::labelAt(const QPointF &pixel) const {
    QString best;
    double bestDistance = 10.0; // pixels
    for (const auto &[name, marker] : m_markers) {
        const double d = std::hypot(marker.x() - pixel.x(), marker.y() - pixel.y());
        if (d < bestDistance) {
            bestDistance = d;
            best = name;
        }
    }
    return best;
}

std::optional<QPointF> QualityChartPage::markerPixel(const QString &label) const {
    const auto it = m_markers.find(label);
    if (it == m_markers.end()) return std::nullopt;
    return it->second;
}

QString QualityChartPage::toolTipFor(const QString &label) const {
    const auto it = m_points.find(label);
    const Point *p = it != m_points.end() ? &it->second : label == m_currentName ? &m_current : nullptr;
    if (!p) return {};
    QString text = tr("<b>%1</b><br>%2 GB, %3 bits per weight")
                       .arg(label.toHtmlEscaped())
                       .arg(p->gigabytes, 0, 'f', 3)
                       .arg(p->bits, 0, 'f', 2);
    if (std::isfinite(p->relative))
        text += tr("<br>relative RMSE %1 %").arg(p->relative * 100.0, 0, 'g', 3);
    else if (!p->failure.isEmpty())
        text += tr("<br>not analysed: %1").arg(p->failure.toHtmlEscaped());
    return text;
}

void QualityChartPage::showToolTip(const QPointF &pixel, const QPoint &global) {
    QString text = toolTipFor(labelAt(pixel));
    if (text.isEmpty() && m_currentMarker &&
        std::hypot(m_currentMarker->x() - pixel.x(), m_currentMarker->y() - pixel.y()) < 10.0) {
        const QString name = m_currentName.isEmpty() ? tr("your mix") : m_currentName;
        text = tr("your mix: ") + QStringLiteral("%1<br>%2 GB, %3 bits per weight<br>relative RMSE %4 %")
                                      .arg(name.toHtmlEscaped())
                                      .arg(m_current.gigabytes, 0, 'f', 3)
                                      .arg(m_current.bits, 0, 'f', 2)
                                      .arg(m_current.relative * 100.0, 0, 'g', 3);
    }
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(global, text, m_plot);
}

void QualityChartPage::computeDefaultView() {
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    auto take = [&](const Point &p, bool bandOnly) {
        if (!std::isfinite(p.relative) || (bandOnly && (p.bits < kBandLow || p.bits > kBandHigh))) return;
        xlo = std::min(xlo, xOf(p));
        xhi = std::max(xhi, xOf(p));
        ylo = std::min(ylo, percentOf(p.relative));
        yhi = std::max(yhi, percentOf(p.relative));
    };
    for (const bool bandOnly : {true, false}) { // no label in the band yet: all of them
        for (const auto &[name, p] : m_points)
            take(p, bandOnly);
        take(m_current, bandOnly);
        if (std::isfinite(xlo)) break;
    }
    if (!std::isfinite(xlo)) return;
    const double w = std::max(xhi - xlo, m_axis->currentIndex() == 0 ? 1.0 : 1e-3);
    // Room for the labels to the right and above.
    m_defaultView[0] = xlo - w * 0.04;
    m_defaultView[1] = xhi + w * 0.14;
    m_defaultView[2] = ylo / 1.6;
    m_defaultView[3] = yhi * 1.8;
}

void QualityChartPage::applyView(double xLow, double xHigh, double yLow, double yHigh) {
    m_settingRange = true;
    m_plot->xAxis->setRange(xLow, xHigh);
    m_plot->yAxis->setRange(yLow, yHigh);
    m_settingRange = false;
}

void QualityChartPage::resetView() {
    m_userView = false;
    if (qualityAxis() != QualityAxis::WeightsError) {
        rebuildPlot();
        return;
    }
    computeDefaultView();
    applyView(m_defaultView[0], m_defaultView[1], m_defaultView[2], m_defaultView[3]);
    m_plot->replot(QCustomPlot::rpQueuedRefresh);
}

void QualityChartPage::placeLabels() {
    for (QCPAbstractItem *item : m_labelItems)
        m_plot->removeItem(item);
    m_labelItems.clear();
    m_labelRects.clear();
    m_markers.clear();
    m_edge.clear();
    m_currentMarker.reset();
    m_currentAtEdge = false;
    if (!m_edgeGraph || qualityAxis() != QualityAxis::WeightsError) return;
    const QRectF area = m_plot->axisRect()->rect();
    if (area.width() < 20 || area.height() < 20) return;
    const QRectF inner = area.adjusted(7, 7, -7, -7);
    // A point's pixel; outside the view: clamped into the edge, where its marker goes.
    auto pixelOf = [&](const Point &p, bool *edge) {
        QPointF px(m_plot->xAxis->coordToPixel(xOf(p)), m_plot->yAxis->coordToPixel(percentOf(p.relative)));
        *edge = !area.contains(px);
        if (*edge)
            px = {std::clamp(px.x(), inner.left(), inner.right()), std::clamp(px.y(), inner.top(), inner.bottom())};
        return px;
    };
    auto arrowed = [&](const QString &text, const QPointF &px) -> QString { // not auto: QStringBuilder would dangle
        if (px.x() >= inner.right() - 0.5) return text + QStringLiteral(" →");
        if (px.x() <= inner.left() + 0.5) return QStringLiteral("← ") + text;
        return px.y() <= inner.top() + 0.5 ? text + QStringLiteral(" ↑") : text + QStringLiteral(" ↓");
    };

    QFont font = m_plot->font();
    font.setPointSizeF(font.pointSizeF() * 0.8);
    const QFontMetricsF fm(font);
    std::vector<QString> texts;
    std::vector<LabelRequest> requests;
    std::vector<QRectF> obstacles;
    if (m_plot->legend->visible()) obstacles.push_back(m_plot->legend->outerRect()); // labels stay readable beside it
    auto request = [&](const QString &text, const QPointF &anchor) {
        texts.push_back(text);
        requests.push_back({anchor, QSizeF(fm.horizontalAdvance(text) + 4, fm.height() + 2)});
    };

    // The current mix first: it must always be visible.
    if (std::isfinite(m_current.relative)) {
        bool edge = false;
        const QPointF px = pixelOf(m_current, &edge);
        m_currentMarker = px;
        m_currentAtEdge = edge;
        m_currentGraph->setData({m_plot->xAxis->pixelToCoord(px.x())}, {m_plot->yAxis->pixelToCoord(px.y())});
        const QString name = m_currentName.isEmpty() ? tr("your mix") : tr("your mix: %1").arg(m_currentName);
        if (edge) request(arrowed(name, px), px);
        obstacles.push_back(QRectF(px - QPointF(4, 4), QSizeF(8, 8)));
    }
    // Then the edge markers, labels sharing a spot in one text (F16 and F32 often do), then the
    // Pareto front, then the rest from the smallest up.
    std::map<std::pair<int, int>, QStringList> edgeGroups;
    std::map<std::pair<int, int>, QPointF> edgeSpots;
    std::vector<std::pair<double, QString>> inside;
    const QStringList front = paretoFront();
    for (const auto &[name, p] : m_points) {
        if (!std::isfinite(p.relative)) continue;
        bool edge = false;
        const QPointF px = pixelOf(p, &edge);
        m_markers[name] = px;
        obstacles.push_back(QRectF(px - QPointF(3.5, 3.5), QSizeF(7, 7)));
        if (edge) {
            m_edge.insert(name);
            const std::pair<int, int> spot{int(px.x() / 6), int(px.y() / 6)};
            edgeGroups[spot].append(name);
            edgeSpots.emplace(spot, px);
        } else {
            inside.emplace_back(front.contains(name) ? -1e9 + xOf(p) : xOf(p), name);
        }
    }
    QVector<double> ex, ey;
    for (const auto &[spot, names] : edgeGroups) {
        const QPointF px = edgeSpots.at(spot);
        ex.append(m_plot->xAxis->pixelToCoord(px.x()));
        ey.append(m_plot->yAxis->pixelToCoord(px.y()));
        request(arrowed(names.join(QStringLiteral(", ")), px), px);
    }
    m_edgeGraph->setData(ex, ey);
    std::sort(inside.begin(), inside.end());
    for (const auto &[order, name] : inside)
        request(name, m_markers.at(name));

    const auto placed = qbui::placeLabels(requests, area, obstacles);
    const QColor fg = m_plot->palette().color(QPalette::WindowText);
    for (size_t i = 0; i < placed.size(); ++i) {
        if (!placed[i]) continue; // no room: hover shows it
        auto *text = new QCPItemText(m_plot);
        text->position->setType(QCPItemPosition::ptAbsolute);
        text->position->setCoords(placed[i]->left() + 2, placed[i]->top() + 1);
        text->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
        text->setPadding(QMargins(0, 0, 0, 0));
        text->setText(texts[i]);
        text->setFont(font);
        text->setColor(i == 0 && m_currentMarker && texts[i].contains(tr("your mix")) ? seriesColor(1) : fg);
        m_labelItems.push_back(text);
        m_labelRects[texts[i]] = *placed[i];
    }
}

void QualityChartPage::setQualityAxis(QualityAxis axis) { m_qualityAxis->setCurrentIndex(int(axis)); }

QualityChartPage::QualityAxis QualityChartPage::qualityAxis() const {
    return QualityAxis(m_qualityAxis->currentIndex());
}

void QualityChartPage::setMeasured(const QString &name, const MeasuredQuality &quality) {
    if (quality.valid())
        m_measured[name] = quality;
    else
        m_measured.erase(name);
    if (qualityAxis() != QualityAxis::WeightsError) m_replotDelay->start();
}

// The measured axis: one filled diamond per measured label, linear scale (ΔPPL can be negative).
void QualityChartPage::rebuildMeasuredPlot() {
    const QualityAxis axis = qualityAxis();
    const auto valueOf = [axis](const MeasuredQuality &q) {
        return axis == QualityAxis::MeanKld ? q.meanKld : axis == QualityAxis::P99Kld ? q.p99Kld : q.deltaPpl;
    };
    m_plot->yAxis->setScaleType(QCPAxis::stLinear);
    m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    m_plot->yAxis->setLabel(axis == QualityAxis::MeanKld  ? tr("mean KL divergence (nats, measured)")
                            : axis == QualityAxis::P99Kld ? tr("99th percentile KL divergence (nats, measured)")
                                                          : tr("PPL − PPL(base) (measured)"));
    const QColor fg = m_plot->palette().color(QPalette::WindowText);
    QVector<double> xs, ys;
    for (const auto &[name, q] : m_measured) {
        const double x = m_axis->currentIndex() == 0 ? q.bitsPerWeight : q.gigabytes;
        xs.append(x);
        ys.append(valueOf(q));
        auto *text = new QCPItemText(m_plot);
        text->position->setCoords(x, valueOf(q));
        text->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        text->setText(name);
        text->setColor(fg);
        text->setPadding(QMargins(4, 0, 0, 2));
    }
    m_measuredGraph = m_plot->addGraph();
    m_measuredGraph->setName(tr("measured (llama.cpp)"));
    m_measuredGraph->setLineStyle(QCPGraph::lsNone);
    m_measuredGraph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, seriesColor(3), seriesColor(3), 10));
    m_measuredGraph->setData(xs, ys);
    m_settingRange = true;
    m_plot->rescaleAxes();
    const QCPRange x = m_plot->xAxis->range();
    m_plot->xAxis->setRange(x.lower - 0.3 - x.size() * 0.03, x.upper + x.size() * 0.12 + 0.3);
    const QCPRange y = m_plot->yAxis->range();
    m_plot->yAxis->setRange(std::min(0.0, y.lower) - y.size() * 0.05, y.upper + y.size() * 0.15 + 1e-6);
    m_settingRange = false;
    if (m_measured.empty())
        m_status->setText(tr("No measured point yet: tick labels and press Measure (Model quality)."));
    m_plot->replot(QCustomPlot::rpQueuedRefresh);
}

void QualityChartPage::setFrontier(std::vector<Point> frontier, std::optional<Point> target) {
    m_frontier = std::move(frontier);
    m_fitTarget = std::move(target);
    m_replotDelay->start();
}

void QualityChartPage::rebuildPlot() {
    m_plot->clearGraphs();
    m_plot->clearItems();
    m_labelItems.clear(); // deleted with the other items
    m_measuredGraph = nullptr;
    m_edgeGraph = nullptr;
    m_currentGraph = nullptr;
    if (qualityAxis() != QualityAxis::WeightsError) {
        m_plot->xAxis->setLabel(m_axis->currentIndex() == 0 ? tr("bits per weight") : tr("size of tensor data (GB)"));
        rebuildMeasuredPlot();
        return;
    }
    if (m_plot->yAxis->scaleType() != QCPAxis::stLogarithmic) {
        m_plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        m_plot->yAxis->setLabel(tr("relative RMSE (%)"));
    }
    m_plot->xAxis->setLabel(m_axis->currentIndex() == 0 ? tr("bits per weight") : tr("size of tensor data (GB)"));
    const QColor fg = m_plot->palette().color(QPalette::WindowText);

    QVector<double> xs, ys;
    for (const auto &[name, p] : m_points) {
        if (!std::isfinite(p.relative)) continue;
        xs.append(xOf(p));
        ys.append(percentOf(p.relative));
    }
    QCPGraph *labels = m_plot->addGraph();
    labels->setName(tr("labels"));
    labels->setLineStyle(QCPGraph::lsNone);
    labels->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, seriesColor(0), seriesColor(0).lighter(150), 7));
    labels->setData(xs, ys);

    QVector<double> fx, fy;
    for (const QString &name : paretoFront()) {
        fx.append(xOf(m_points.at(name)));
        fy.append(percentOf(m_points.at(name).relative));
    }
    QCPGraph *front = m_plot->addGraph();
    front->setName(tr("Pareto front"));
    front->setPen(QPen(seriesColor(2), 1.5, Qt::DashLine));
    front->setData(fx, fy, true);

    // The optimizer's frontier: every target one point on one curve.
    if (!m_frontier.empty()) {
        QVector<double> ox, oy;
        for (const Point &p : m_frontier) {
            ox.append(xOf(p));
            oy.append(percentOf(p.relative));
        }
        QCPGraph *optimizer = m_plot->addGraph();
        optimizer->setName(tr("fit to size (optimizer)"));
        optimizer->setPen(QPen(seriesColor(3), 2));
        optimizer->setData(ox, oy, true);
    }
    if (m_fitTarget && std::isfinite(m_fitTarget->relative)) {
        QCPGraph *fit = m_plot->addGraph();
        fit->setName(tr("fit to size: target"));
        fit->setLineStyle(QCPGraph::lsNone);
        fit->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, QPen(seriesColor(3), 2), seriesColor(3), 11));
        fit->setData({xOf(*m_fitTarget)}, {percentOf(m_fitTarget->relative)});
    }

    // Points outside the view, clipped to its edge (placeLabels puts them there).
    m_edgeGraph = m_plot->addGraph();
    m_edgeGraph->setName(tr("outside this view (at the edge)"));
    m_edgeGraph->setLineStyle(QCPGraph::lsNone);
    m_edgeGraph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, seriesColor(0), Qt::white, 8));

    // The current mix: drawn where it is, or at the edge (placeLabels moves it there).
    m_currentGraph = m_plot->addGraph();
    m_currentGraph->setName(tr("your mix: %1").arg(m_currentName.isEmpty() ? tr("none") : m_currentName));
    m_currentGraph->setLineStyle(QCPGraph::lsNone);
    m_currentGraph->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssStar, QPen(seriesColor(1), 2.5), Qt::NoBrush, 16));
    if (std::isfinite(m_current.relative)) m_currentGraph->setData({xOf(m_current)}, {percentOf(m_current.relative)});

    computeDefaultView();
    if (!m_userView) applyView(m_defaultView[0], m_defaultView[1], m_defaultView[2], m_defaultView[3]);
    m_plot->replot(QCustomPlot::rpQueuedRefresh);
}

} // namespace qbui
