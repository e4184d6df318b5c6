// Greedy placement of point labels on a chart, so that none covers another or another point.
//
// Contract: labels are placed in the order given (put the important ones first). For each, a few
// positions around its anchor are tried (right, left, above, below, then the diagonals); the
// first that stays inside the bounds and meets no label placed before and no obstacle (the
// points' markers) is taken. A label with no free position gets none: it is shown on hover only.
// The rectangles returned never intersect one another.
#pragma once

#include <QPointF>
#include <QRectF>
#include <QSizeF>

#include <optional>
#include <vector>

namespace qbui {

struct LabelRequest {
    QPointF anchor; // the point's pixel
    QSizeF size;    // the text's size in pixels
};

std::vector<std::optional<QRectF>> placeLabels(const std::vector<LabelRequest> &labels, const QRectF &bounds,
                                               const std::vector<QRectF> &obstacles, double gap = 5.0);

} // namespace qbui
