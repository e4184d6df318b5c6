#include "chart_label_placer.h"

namespace qbui {

std::vector<std::optional<QRectF>> placeLabels(const std::vector<LabelRequest> &labels, const QRectF &bounds,
                                               const std::vector<QRectF> &obstacles, double gap) {
    std::vector<std::optional<QRectF>> out(labels.size());
    std::vector<QRectF> taken;
    taken.reserve(labels.size());
    for (size_t i = 0; i < labels.size(); ++i) {
        const QPointF p = labels[i].anchor;
        const double w = labels[i].size.width(), h = labels[i].size.height();
        // Top-left corners around the anchor, most readable first.
        const QPointF candidates[] = {
            {p.x() + gap, p.y() - h / 2},       {p.x() - gap - w, p.y() - h / 2}, {p.x() - w / 2, p.y() - gap - h},
            {p.x() - w / 2, p.y() + gap},       {p.x() + gap, p.y() - gap - h},   {p.x() + gap, p.y() + gap},
            {p.x() - gap - w, p.y() - gap - h}, {p.x() - gap - w, p.y() + gap},
        };
        for (const QPointF &corner : candidates) {
            const QRectF r(corner, QSizeF(w, h));
            if (!bounds.contains(r)) continue;
            bool free = true;
            for (const QRectF &t : taken)
                free = free && !t.intersects(r);
            for (const QRectF &o : obstacles)
                free = free && !o.intersects(r);
            if (!free) continue;
            out[i] = r;
            taken.push_back(r);
            break;
        }
    }
    return out;
}

} // namespace qbui
