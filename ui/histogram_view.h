// How the tensor page shows a histogram plot: a home view (the robust range on x, the data's
// height on y) that a double-click returns to after zooming or panning with the mouse, and a note
// on the plot saying how many values fall outside the range drawn.
#pragma once

#include "analysis/histogram.h"

#include <QString>

#include <optional>

class QCustomPlot;
class QCPItemText;

namespace qbui {

// Wheel zooms, dragging pans; a double-click anywhere on the plot shows the home view again.
void enableZoomWithHomeView(QCustomPlot *plot);
// Sets the home view and shows it: x is the given range (nullopt: the data's), y the data's
// height, from zero when yFromZero. Replots later (queued).
void setHomeView(QCustomPlot *plot, std::optional<qb::HistogramRange> x, bool yFromZero);
void showHomeView(QCustomPlot *plot);

// "◀ 12 below  ·  7 above ▶" (and "· 3 NaN") for what a histogram counted outside its bins;
// empty when everything is inside.
QString outOfRangeText(const qb::Histogram &h);
// The plot's note of out-of-range counts, top centre of its axis rect, created on first use;
// hidden while its text is empty.
QCPItemText *outOfRangeLabel(QCustomPlot *plot);
void setOutOfRangeText(QCustomPlot *plot, const QString &text);

} // namespace qbui
