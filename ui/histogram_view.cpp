#include "histogram_view.h"

#include <QPointF>
#include <QVariant>
#include <qcustomplot.h>

namespace qbui {
namespace {

constexpr const char *kHomeX = "qbHomeX"; // QPointF(lo, hi), or invalid: the data's range
constexpr const char *kHomeYFromZero = "qbHomeYFromZero";
constexpr const char *kOutOfRangeName = "outOfRange";

} // namespace

void enableZoomWithHomeView(QCustomPlot *plot) {
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    QObject::connect(plot, &QCustomPlot::mouseDoubleClick, plot, [plot](QMouseEvent *) { showHomeView(plot); });
}

void setHomeView(QCustomPlot *plot, std::optional<qb::HistogramRange> x, bool yFromZero) {
    plot->setProperty(kHomeX, x ? QVariant(QPointF(x->lo, x->hi)) : QVariant());
    plot->setProperty(kHomeYFromZero, yFromZero);
    showHomeView(plot);
}

void showHomeView(QCustomPlot *plot) {
    plot->rescaleAxes();
    const QVariant x = plot->property(kHomeX);
    if (x.isValid()) plot->xAxis->setRange(x.toPointF().x(), x.toPointF().y());
    if (plot->property(kHomeYFromZero).toBool()) plot->yAxis->setRangeLower(0);
    plot->replot(QCustomPlot::rpQueuedReplot);
}

QString outOfRangeText(const qb::Histogram &h) {
    QStringList parts;
    if (h.underflow > 0 || h.overflow > 0)
        parts << QStringLiteral("◀ %1 below  ·  %2 above ▶").arg(h.underflow).arg(h.overflow);
    if (h.nan > 0) parts << QStringLiteral("%1 NaN").arg(h.nan);
    return parts.join(QStringLiteral("  ·  "));
}

QCPItemText *outOfRangeLabel(QCustomPlot *plot) {
    for (int i = 0; i < plot->itemCount(); ++i)
        if (auto *text = qobject_cast<QCPItemText *>(plot->item(i));
            text && text->objectName() == QLatin1String(kOutOfRangeName))
            return text;
    auto *text = new QCPItemText(plot);
    text->setObjectName(QLatin1String(kOutOfRangeName));
    text->setClipToAxisRect(false);
    text->position->setType(QCPItemPosition::ptAxisRectRatio);
    text->position->setCoords(0.5, 0.0);
    text->setPositionAlignment(Qt::AlignTop | Qt::AlignHCenter);
    text->setTextAlignment(Qt::AlignCenter);
    text->setPadding(QMargins(4, 2, 4, 2));
    text->setColor(plot->palette().color(QPalette::WindowText));
    QColor back = plot->palette().color(QPalette::Base);
    back.setAlpha(200);
    text->setBrush(back);
    text->setSelectable(false);
    text->setVisible(false);
    return text;
}

void setOutOfRangeText(QCustomPlot *plot, const QString &text) {
    QCPItemText *label = outOfRangeLabel(plot);
    label->setText(text);
    label->setVisible(!text.isEmpty());
}

} // namespace qbui
