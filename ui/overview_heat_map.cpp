#include "overview_heat_map.h"

#include "formatting.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace qbui {
namespace {

constexpr int kRowHeader = 64;    // layer names
constexpr int kColumnHeader = 22; // role names
constexpr int kColourBar = 34;    // the scale underneath

// Zero error (an unchanged tensor) cannot sit on a log scale: it takes the colour of this floor.
constexpr double kErrorFloor = 1e-5;

QString formatValue(OverviewQuantity q, double v) {
    switch (q) {
    case OverviewQuantity::RelativeError: return QStringLiteral("%1 %").arg(v * 100.0, 0, 'g', 3);
    case OverviewQuantity::ChosenType: return QStringLiteral("%1 bpw").arg(v, 0, 'f', 2);
    case OverviewQuantity::Bytes: return formatBytes(uint64_t(v));
    }
    return {};
}

} // namespace

OverviewHeatMap::OverviewHeatMap(QWidget *parent) : QWidget(parent) {
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void OverviewHeatMap::setGrid(ModelOverviewGrid grid, QStringList tensorNames) {
    m_grid = std::move(grid);
    m_names = std::move(tensorNames);
    m_values = {};
    update();
}

void OverviewHeatMap::setValues(OverviewValues values, OverviewQuantity quantity) {
    m_values = std::move(values);
    m_quantity = quantity;
    update();
}

QRect OverviewHeatMap::gridArea() const {
    return QRect(kRowHeader, kColumnHeader, std::max(1, width() - kRowHeader - 4),
                 std::max(1, height() - kColumnHeader - kColourBar));
}

QRect OverviewHeatMap::cellRect(int row, int column) const {
    if (m_grid.rowCount() == 0 || m_grid.columnCount() == 0) return {};
    const QRect area = gridArea();
    const int x0 = area.left() + column * area.width() / m_grid.columnCount();
    const int x1 = area.left() + (column + 1) * area.width() / m_grid.columnCount();
    const int y0 = area.top() + row * area.height() / m_grid.rowCount();
    const int y1 = area.top() + (row + 1) * area.height() / m_grid.rowCount();
    return QRect(QPoint(x0, y0), QPoint(x1 - 1, y1 - 1));
}

std::pair<int, int> OverviewHeatMap::cellAt(const QPoint &pixel) const {
    const QRect area = gridArea();
    if (m_grid.rowCount() == 0 || m_grid.columnCount() == 0 || !area.contains(pixel)) return {-1, -1};
    const int column =
        std::clamp((pixel.x() - area.left()) * m_grid.columnCount() / area.width(), 0, m_grid.columnCount() - 1);
    const int row = std::clamp((pixel.y() - area.top()) * m_grid.rowCount() / area.height(), 0, m_grid.rowCount() - 1);
    return {row, column};
}

std::pair<double, double> OverviewHeatMap::range() const {
    double lo = INFINITY, hi = -INFINITY;
    for (int t = 0; t < m_grid.tensorCount() && size_t(t) < m_values.bytes.size(); ++t) {
        double v = m_values.value(m_quantity, t);
        if (!std::isfinite(v)) continue;
        if (logarithmic() && v <= 0) continue; // an unchanged tensor (no error) is drawn apart
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    if (!std::isfinite(lo)) return {NAN, NAN};
    if (hi <= lo) hi = logarithmic() ? lo * 10.0 : lo + 1.0;
    return {lo, hi};
}

QColor OverviewHeatMap::colourOf(double value, std::pair<double, double> r) const {
    if (m_quantity == OverviewQuantity::RelativeError) value = std::max(value, kErrorFloor);
    double f = logarithmic() ? std::log(value / r.first) / std::log(r.second / r.first)
                             : (value - r.first) / (r.second - r.first);
    f = std::clamp(std::isfinite(f) ? f : 0.0, 0.0, 1.0);
    // Viridis (dark blue → green → yellow): ordered in lightness, readable for colour-blind eyes.
    static const QColor stops[] = {QColor(68, 1, 84), QColor(59, 82, 139), QColor(33, 145, 140), QColor(94, 201, 98),
                                   QColor(253, 231, 37)};
    const double x = f * 4.0;
    const int i = std::min(3, int(x));
    const double t = x - i;
    const QColor &a = stops[i], &b = stops[i + 1];
    return QColor::fromRgbF(float(a.redF() + t * (b.redF() - a.redF())),
                            float(a.greenF() + t * (b.greenF() - a.greenF())),
                            float(a.blueF() + t * (b.blueF() - a.blueF())));
}

QString OverviewHeatMap::describe(int tensor) const {
    if (tensor < 0 || tensor >= m_names.size()) return {};
    QString text = QStringLiteral("<b>%1</b>").arg(m_names.at(tensor).toHtmlEscaped());
    if (size_t(tensor) >= m_values.type.size()) return text;
    text += tr("<br>type %1, %2")
                .arg(QString::fromLatin1(qb::typeName(m_values.type[size_t(tensor)])),
                     formatValue(OverviewQuantity::Bytes, m_values.bytes[size_t(tensor)]));
    const double error = m_values.error[size_t(tensor)];
    text += std::isfinite(error) ? tr("<br>relative RMSE %1").arg(formatValue(OverviewQuantity::RelativeError, error))
                                 : tr("<br>relative RMSE not computed yet");
    return text;
}

void OverviewHeatMap::paintEvent(QPaintEvent *) {
    QPainter p(this);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    if (m_grid.rowCount() == 0) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("Open a model to see where its error and bytes go."));
        return;
    }
    const auto r = range();
    const bool haveValues = m_values.bytes.size() == size_t(m_grid.tensorCount());
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.8);
    p.setFont(small);
    const QFontMetrics fm(small);

    // Column headers; row headers only where there is room for them (hundreds of layers thin out).
    p.setPen(pal.color(QPalette::WindowText));
    for (int c = 0; c < m_grid.columnCount(); ++c) {
        const QRect cell = cellRect(0, c);
        const QRect header(cell.left(), 2, cell.width(), kColumnHeader - 4);
        p.drawText(header, Qt::AlignCenter, fm.elidedText(m_grid.columns().at(c), Qt::ElideMiddle, header.width()));
    }
    const int every = std::max(1, (fm.height() + 1) / std::max(1, cellRect(0, 0).height() + 1) + 1);
    for (int row = 0; row < m_grid.rowCount(); ++row) {
        if (row % every != 0 && row != m_grid.rowCount() - 1) continue;
        const QRect cell = cellRect(row, 0);
        p.drawText(QRect(2, cell.center().y() - fm.height() / 2, kRowHeader - 6, fm.height()),
                   Qt::AlignRight | Qt::AlignVCenter, m_grid.rows().at(row));
    }

    const bool typeText = m_quantity == OverviewQuantity::ChosenType;
    for (int row = 0; row < m_grid.rowCount(); ++row) {
        for (int c = 0; c < m_grid.columnCount(); ++c) {
            const int t = m_grid.tensorAt(row, c);
            if (t < 0) continue;
            const QRect cell = cellRect(row, c).adjusted(0, 0, -1, -1);
            const double v = haveValues ? m_values.value(m_quantity, t) : NAN;
            if (!std::isfinite(v) || !std::isfinite(r.first)) {
                p.fillRect(cell, QBrush(pal.color(QPalette::Mid), Qt::BDiagPattern));
                continue;
            }
            if (m_quantity == OverviewQuantity::RelativeError && v <= 0) { // unchanged: no error, not on the scale
                p.fillRect(cell, pal.color(QPalette::Midlight));
                continue;
            }
            const QColor colour = colourOf(v, r);
            p.fillRect(cell, colour);
            if (typeText && cell.height() >= fm.height()) {
                const QString name = QString::fromLatin1(qb::typeName(m_values.type[size_t(t)]));
                if (fm.horizontalAdvance(name) < cell.width()) {
                    p.setPen(colour.lightnessF() > 0.5 ? Qt::black : Qt::white);
                    p.drawText(cell, Qt::AlignCenter, name);
                }
            }
        }
    }

    // The colour bar with its two ends.
    const QRect area = gridArea();
    const QRect bar(area.left(), area.bottom() + 8, std::min(area.width(), 360), 10);
    if (std::isfinite(r.first)) {
        for (int x = 0; x < bar.width(); ++x) {
            const double f = double(x) / std::max(1, bar.width() - 1);
            const double v =
                logarithmic() ? r.first * std::pow(r.second / r.first, f) : r.first + f * (r.second - r.first);
            p.fillRect(QRect(bar.left() + x, bar.top(), 1, bar.height()), colourOf(v, r));
        }
        p.setPen(pal.color(QPalette::WindowText));
        p.drawText(QRect(bar.right() + 6, bar.top() - 4, 420, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                   tr("%1 … %2%3%4")
                       .arg(formatValue(m_quantity, r.first), formatValue(m_quantity, r.second),
                            logarithmic() ? tr(" (log scale)") : QString(),
                            m_quantity == OverviewQuantity::RelativeError ? tr("; grey: type unchanged, no error")
                                                                          : QString()));
    }
}

void OverviewHeatMap::mousePressEvent(QMouseEvent *event) {
    const auto [row, column] = cellAt(event->position().toPoint());
    const int t = m_grid.tensorAt(row, column);
    if (t >= 0) emit tensorClicked(t);
}

bool OverviewHeatMap::event(QEvent *event) {
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const auto [row, column] = cellAt(help->pos());
        const int t = m_grid.tensorAt(row, column);
        if (t >= 0)
            QToolTip::showText(help->globalPos(), describe(t), this, cellRect(row, column));
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

} // namespace qbui
