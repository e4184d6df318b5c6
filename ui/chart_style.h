// One look for every chart: fonts, grid, margins and the series colours, taken from the palette
// so the charts follow light and dark themes.
#pragma once

#include <QColor>
#include <QString>

class QCustomPlot;
class QCPAxisRect;

namespace qbui {

// Colours for the compared types, in order; readable on light and dark backgrounds.
QColor seriesColor(int index);
// Applies the house look to a plot and titles its axes.
void styleChart(QCustomPlot *plot, const QString &title, const QString &xLabel, const QString &yLabel);

} // namespace qbui
