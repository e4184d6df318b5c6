#include "histogram_page.h"

#include "analysis/robust_range.h"
#include "chart_style.h"
#include "error.h"
#include "formatting.h"
#include "histogram_view.h"
#include "kernels/kernels.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <cmath>
#include <tuple>
#include <utility>

namespace qbui {
namespace {

// Every type analysed for one request, in one mode, on the given histogram ranges. Failures (no
// kernel yet, importance data required, cancelled) are reported per type, never thrown across threads.
HistogramResult analyzeTypes(const std::shared_ptr<qb::ModelAnalyzer> &analyzer, int tensor,
                             const std::vector<qb::GgmlType> &types, qb::AnalysisMode mode,
                             const qb::HistogramRanges &ranges, int threads, const std::atomic<bool> *cancel,
                             int bins = HistogramPage::kBins) {
    HistogramResult r;
    r.tensor = tensor;
    r.mode = mode;
    r.ranges = ranges;
    for (qb::GgmlType type : types) {
        TypeAnalysis ta;
        ta.type = type;
        try {
            ta.analysis = analyzer->analyze(size_t(tensor), type, mode, bins, ranges, threads, cancel);
        } catch (const std::exception &e) {
            ta.failure = QString::fromUtf8(e.what());
        }
        if (ta.analysis && !r.weightsSource) r.weightsSource = ta.analysis;
        r.types.push_back(std::move(ta));
    }
    if (!r.weightsSource) {
        try {
            r.weightsSource =
                analyzer->analyze(size_t(tensor), qb::GgmlType::BF16, mode, bins, ranges, threads, cancel);
        } catch (const std::exception &) {
            // Nothing to draw; the metrics table says why each type failed.
        }
    }
    return r;
}

} // namespace

qb::HistogramRanges HistogramPage::robustRangesFor(const std::shared_ptr<qb::ModelAnalyzer> &analyzer, int tensor,
                                                   const std::vector<qb::GgmlType> &types) {
    // Scouts: previews over the automatic ranges with many bins (cached by the analyzer, so going
    // back to a tensor costs nothing). The weights come first, from whichever analysis succeeded.
    const HistogramResult scouts =
        analyzeTypes(analyzer, tensor, types, qb::AnalysisMode::Preview, {}, 1, nullptr, qb::kRobustScoutBins);
    std::vector<const qb::TensorAnalysis *> list{scouts.weightsSource.get()};
    for (const TypeAnalysis &ta : scouts.types)
        list.push_back(ta.analysis.get());
    return qb::robustRanges(list);
}

namespace {

// A histogram as density (count / (total · bin width)) so types with different ranges compare.
void histogramToCurve(const qb::Histogram &h, QVector<double> &keys, QVector<double> &values) {
    keys.clear();
    values.clear();
    const double total = double(h.total());
    const double width = h.binWidth();
    for (size_t i = 0; i < h.counts.size(); ++i) {
        keys.append(h.binCenter(i));
        values.append(total > 0 && width > 0 ? double(h.counts[i]) / (total * width) : 0.0);
    }
}

Qt::PenStyle seriesPenStyle(int index) {
    static const Qt::PenStyle styles[] = {Qt::SolidLine, Qt::DashLine, Qt::DotLine};
    return styles[index % 3];
}

QString formatMetric(double v, int precision, const QString &unit = {}) {
    if (std::isinf(v)) return QStringLiteral("∞");
    if (!std::isfinite(v)) return QStringLiteral("–");
    return QString::number(v, 'g', precision) + unit;
}

} // namespace

HistogramPage::HistogramPage(QWidget *parent)
    : QWidget(parent), m_title(new QLabel(this)), m_state(new QLabel(this)), m_second(new QComboBox(this)),
      m_third(new QComboBox(this)), m_logScale(new QCheckBox(tr("Log scale"), this)),
      m_weightsPlot(new QCustomPlot(this)), m_errorPlot(new QCustomPlot(this)), m_relativePlot(new QCustomPlot(this)),
      m_profilePlot(new QCustomPlot(this)), m_metrics(new QTableWidget(this)), m_coalesce(new QTimer(this)) {
    qRegisterMetaType<HistogramResult>();
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.1);
    m_title->setFont(titleFont);
    m_title->setText(tr("Select a tensor to see its weights and the error of each type."));
    m_state->setStyleSheet(QStringLiteral("color: palette(mid);"));

    fillComparisonChoices();
    auto onCompare = [this] { scheduleRequest(); };
    connect(m_second, &QComboBox::currentIndexChanged, this, onCompare);
    connect(m_third, &QComboBox::currentIndexChanged, this, onCompare);
    connect(m_logScale, &QCheckBox::toggled, this, [this] { rebuildPlots(); });

    styleChart(m_weightsPlot, tr("Weights"), tr("value"), tr("density"));
    styleChart(m_errorPlot, tr("Quantization error (q − w)"), tr("error"), tr("density"));
    styleChart(m_relativePlot, tr("Relative error ((q − w) / RMS(w))"), tr("relative error"), tr("density"));
    styleChart(m_profilePlot, tr("Per-row error profile"), tr("row (output channel)"), tr("row RMSE"));
    for (QCustomPlot *p : {m_weightsPlot, m_errorPlot, m_relativePlot, m_profilePlot}) {
        p->setMinimumSize(220, 160);
        enableZoomWithHomeView(p);
    }
    m_errorPlot->legend->setVisible(true);
    m_relativePlot->legend->setVisible(true);
    m_profilePlot->legend->setVisible(true);
    // The out-of-range counts sit at the top centre of the error plots; their legends go to the
    // bottom right, over the thin right tail, so the two never cover each other.
    for (QCustomPlot *p : {m_errorPlot, m_relativePlot})
        p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);

    m_metrics->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_metrics->setSelectionMode(QAbstractItemView::NoSelection);
    m_metrics->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    // Numbers are never broken across lines ("0." over "00573"): columns fit their contents and
    // the table may widen for three of them.
    m_metrics->setWordWrap(false);
    m_metrics->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_metrics->horizontalHeader()->setStretchLastSection(true);
    m_metrics->setMinimumWidth(300);
    m_metrics->setMaximumWidth(520);

    // Selection changes arrive in bursts (keyboard navigation): only the last one is analysed.
    m_coalesce->setSingleShot(true);
    m_coalesce->setInterval(15);
    connect(m_coalesce, &QTimer::timeout, this, &HistogramPage::startRequest);

    auto *controls = new QHBoxLayout;
    controls->addWidget(m_title, 1);
    controls->addWidget(m_state);
    controls->addSpacing(12);
    controls->addWidget(new QLabel(tr("Compare with"), this));
    controls->addWidget(m_second);
    controls->addWidget(m_third);
    controls->addWidget(m_logScale);

    auto *grid = new QGridLayout;
    grid->addWidget(m_weightsPlot, 0, 0);
    grid->addWidget(m_errorPlot, 0, 1);
    grid->addWidget(m_metrics, 0, 2, 2, 1);
    grid->addWidget(m_relativePlot, 1, 0);
    grid->addWidget(m_profilePlot, 1, 1);
    grid->setColumnStretch(0, 1);
    grid->setColumnStretch(1, 1);
    grid->setRowStretch(0, 3);
    grid->setRowStretch(1, 3);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(controls);
    layout->addLayout(grid, 1);
}

HistogramPage::~HistogramPage() = default; // m_jobs cancels the exact pass and waits for it

void HistogramPage::fillComparisonChoices() {
    for (QComboBox *box : {m_second, m_third}) {
        QSignalBlocker block(box);
        box->clear();
        box->addItem(tr("—"));
        for (const qb::TypeTraits *t = qb::allTypesBegin(); t != qb::allTypesEnd(); ++t) {
            if (t->quantized || t->type == qb::GgmlType::F16 || t->type == qb::GgmlType::BF16)
                box->addItem(typeLabel(t->type), QVariant::fromValue(uint(t->type)));
        }
    }
}

void HistogramPage::setAnalyzer(std::shared_ptr<qb::ModelAnalyzer> analyzer) {
    m_analyzer = std::move(analyzer);
    m_tensor = -1;
    m_jobs.cancel();
    m_result = {};
    rebuildPlots();
    rebuildMetrics();
}

void HistogramPage::showTensor(int tensor, qb::GgmlType chosen) {
    if (tensor == m_tensor && chosen == m_chosen && m_result.tensor == tensor) return;
    m_tensor = tensor;
    m_chosen = chosen;
    scheduleRequest();
}

void HistogramPage::setComparisonTypes(std::optional<qb::GgmlType> second, std::optional<qb::GgmlType> third) {
    auto select = [](QComboBox *box, std::optional<qb::GgmlType> type) {
        const int i = type ? box->findData(QVariant::fromValue(uint(*type))) : 0;
        box->setCurrentIndex(std::max(i, 0));
    };
    select(m_second, second);
    select(m_third, third);
}

std::vector<qb::GgmlType> HistogramPage::requestedTypes() const {
    std::vector<qb::GgmlType> types{m_chosen};
    for (QComboBox *box : {m_second, m_third}) {
        if (box->currentIndex() <= 0) continue;
        const auto t = qb::GgmlType(box->currentData().toUInt());
        if (std::find(types.begin(), types.end(), t) == types.end()) types.push_back(t);
    }
    return types;
}

void HistogramPage::scheduleRequest() { m_coalesce->start(); }

void HistogramPage::startRequest() {
    if (!m_analyzer || m_tensor < 0 || size_t(m_tensor) >= m_analyzer->model().tensors().size()) return;
    const int tensor = m_tensor;
    const auto types = requestedTypes();
    const auto &info = *m_analyzer->model().tensors()[size_t(tensor)].info;
    m_title->setText(QStringLiteral("%1  ·  %2  ·  %3")
                         .arg(QString::fromStdString(info.name), formatShape(info), typeLabel(info.type)));
    m_state->setText(tr("previewing…"));
    // Supersedes the previous request: its exact pass is cancelled, its results are dropped.
    m_jobs.start(
        [analyzer = m_analyzer, tensor, types] {
            const qb::HistogramRanges ranges = robustRangesFor(analyzer, tensor, types);
            return analyzeTypes(analyzer, tensor, types, qb::AnalysisMode::Preview, ranges, 1, nullptr);
        },
        [this, types](const HistogramResult &r) {
            applyResult(r);
            startExact(r.tensor, types, r.ranges);
        });
}

void HistogramPage::startExact(int tensor, std::vector<qb::GgmlType> types, qb::HistogramRanges ranges) {
    m_state->setText(tr("preview · refining…"));
    // The preview's ranges: the plots keep their axes when the exact result replaces the preview.
    m_jobs.start(
        [analyzer = m_analyzer, tensor, types, ranges, threads = m_threads](const JobContext &job) {
            return analyzeTypes(analyzer, tensor, types, qb::AnalysisMode::Exact, ranges, threads, job.cancelFlag());
        },
        [this](const HistogramResult &r) { applyResult(r); });
}

void HistogramPage::applyResult(const HistogramResult &result) {
    m_result = result;
    m_state->setText(result.mode == qb::AnalysisMode::Exact ? tr("exact · all rows") : tr("preview · sampled rows"));
    rebuildPlots();
    rebuildMetrics();
    emit resultShown(result.tensor, result.mode);
}

void HistogramPage::rebuildPlots() {
    for (QCustomPlot *p : {m_weightsPlot, m_errorPlot, m_relativePlot, m_profilePlot})
        p->clearGraphs();
    QVector<double> keys, values;
    if (m_result.weightsSource) {
        histogramToCurve(m_result.weightsSource->weights, keys, values);
        QCPGraph *g = m_weightsPlot->addGraph();
        g->setLineStyle(QCPGraph::lsStepCenter);
        g->setPen(QPen(m_weightsPlot->palette().color(QPalette::WindowText), 1.2));
        QColor fill = m_weightsPlot->palette().color(QPalette::Highlight);
        fill.setAlpha(90);
        g->setBrush(fill);
        g->setData(keys, values, true);
    }
    setOutOfRangeText(m_weightsPlot,
                      m_result.weightsSource ? outOfRangeText(m_result.weightsSource->weights) : QString());
    QStringList errorOutside, relativeOutside;
    int series = 0;
    for (const TypeAnalysis &ta : m_result.types) {
        const int index = series++;
        const QColor color = seriesColor(index);
        if (!ta.analysis) continue;
        // The chosen type is filled, the compared ones are outlines with their own dash pattern,
        // so overlapping distributions stay apart even where their colours blend.
        const QPen pen(color, index == 0 ? 1.6 : 1.8, seriesPenStyle(index));
        for (auto [plot, histogram, outside] :
             {std::tuple{m_errorPlot, &ta.analysis->error, &errorOutside},
              std::tuple{m_relativePlot, &ta.analysis->relativeError, &relativeOutside}}) {
            histogramToCurve(*histogram, keys, values);
            QCPGraph *e = plot->addGraph();
            e->setName(typeLabel(ta.type));
            e->setLineStyle(QCPGraph::lsStepCenter);
            e->setPen(pen);
            if (index == 0) {
                QColor fill = color;
                fill.setAlpha(60);
                e->setBrush(fill);
            }
            e->setData(keys, values, true);
            if (const QString text = outOfRangeText(*histogram); !text.isEmpty())
                outside->append(QStringLiteral("%1  %2").arg(typeLabel(ta.type), text));
        }

        QVector<double> rows, rmse;
        rows.reserve(int(ta.analysis->rowIndices.size()));
        for (size_t i = 0; i < ta.analysis->rowIndices.size(); ++i) {
            rows.append(double(ta.analysis->rowIndices[i]));
            rmse.append(ta.analysis->rowRmse[i]);
        }
        QCPGraph *p = m_profilePlot->addGraph();
        p->setName(typeLabel(ta.type));
        p->setPen(pen);
        // A sampled profile is a set of points, not a continuous line: draw it as such.
        if (ta.analysis->mode == qb::AnalysisMode::Preview && rows.size() < 400) {
            p->setLineStyle(QCPGraph::lsNone);
            p->setScatterStyle(
                QCPScatterStyle(index == 0 ? QCPScatterStyle::ssDisc : QCPScatterStyle::ssCircle, color, 4));
        }
        p->setData(rows, rmse, true);
    }
    setOutOfRangeText(m_errorPlot, errorOutside.join(QLatin1Char('\n')));
    setOutOfRangeText(m_relativePlot, relativeOutside.join(QLatin1Char('\n')));
    const bool log = m_logScale->isChecked();
    for (QCustomPlot *p : {m_weightsPlot, m_errorPlot, m_relativePlot}) {
        p->yAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
        if (log)
            p->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        else
            p->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    }
    for (QCustomPlot *p : {m_errorPlot, m_relativePlot, m_profilePlot})
        p->legend->setVisible(p->graphCount() > 0);
    // The home view of each histogram is the range its bins were computed on.
    setHomeView(m_weightsPlot, m_result.ranges.weights, !log);
    setHomeView(m_errorPlot, m_result.ranges.error, !log);
    setHomeView(m_relativePlot, m_result.ranges.relativeError, !log);
    setHomeView(m_profilePlot, std::nullopt, !log);
}

void HistogramPage::rebuildMetrics() {
    const QStringList rows{tr("Rel. RMSE"),     tr("RMSE"), tr("Max |error|"), tr("SNR"),           tr("Cosine"),
                           tr("Weighted rel."), tr("Size"), tr("Bits/weight"), tr("Rows analysed"), tr("Time")};
    m_metrics->clear();
    m_metrics->setRowCount(int(rows.size()));
    m_metrics->setVerticalHeaderLabels(rows);
    m_metrics->setColumnCount(int(m_result.types.size()));
    QStringList headers;
    int col = 0;
    for (const TypeAnalysis &ta : m_result.types) {
        headers << typeLabel(ta.type);
        auto set = [&](int row, const QString &text) {
            auto *item = new QTableWidgetItem(text);
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_metrics->setItem(row, col, item);
        };
        if (!ta.analysis) {
            auto *item = new QTableWidgetItem(tr("not available"));
            item->setToolTip(ta.failure);
            m_metrics->setItem(0, col, item);
            ++col;
            continue;
        }
        const qb::TensorAnalysis &a = *ta.analysis;
        const qb::ErrorMetrics &m = a.metrics;
        set(0, formatRelative(m.relativeRmse));
        set(1, formatMetric(m.rmse, 3));
        set(2, formatMetric(m.maxAbsError, 3));
        set(3, formatMetric(m.snrDb, 3, QStringLiteral(" dB")));
        set(4, formatMetric(m.cosine, 6));
        set(5, m.weighted ? formatRelative(m.weightedRelative) : tr("no imatrix"));
        set(6, formatBytes(a.quantizedBytes));
        const double elements = double(a.totalRows) * double(a.rowLength);
        set(7, elements > 0 ? QString::number(8.0 * double(a.quantizedBytes) / elements, 'f', 3) : QStringLiteral("–"));
        // A preview of wide rows analyses part of each sampled row: say how much.
        set(8, a.sampledLength < a.rowLength ? tr("%1 / %2 (%3 of %4 columns)")
                                                   .arg(a.rowIndices.size())
                                                   .arg(a.totalRows)
                                                   .arg(a.sampledLength)
                                                   .arg(a.rowLength)
                                             : QStringLiteral("%1 / %2").arg(a.rowIndices.size()).arg(a.totalRows));
        set(9, QStringLiteral("%1 ms").arg(a.seconds * 1000.0, 0, 'f', 1));
        QColor c = seriesColor(col);
        m_metrics->setHorizontalHeaderItem(col, new QTableWidgetItem(typeLabel(ta.type)));
        m_metrics->horizontalHeaderItem(col)->setForeground(c);
        ++col;
    }
    for (int i = 0; i < headers.size(); ++i) {
        if (!m_metrics->horizontalHeaderItem(i))
            m_metrics->setHorizontalHeaderItem(i, new QTableWidgetItem(headers[i]));
    }
}

} // namespace qbui
