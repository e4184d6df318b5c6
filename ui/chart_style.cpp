#include "chart_style.h"

#include <QApplication>
#include <QPalette>
#include <qcustomplot.h>

namespace qbui {

QColor seriesColor(int index) {
    static const QColor colors[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xe6, 0x6c, 0x00), QColor(0x2c, 0xa0, 0x2c),
                                    QColor(0x94, 0x67, 0xbd)};
    return colors[index % 4];
}

void styleChart(QCustomPlot *plot, const QString &title, const QString &xLabel, const QString &yLabel) {
    const QPalette pal = plot->palette();
    const QColor fg = pal.color(QPalette::WindowText);
    QColor grid = fg;
    grid.setAlpha(40);
    plot->setBackground(pal.brush(QPalette::Base));
    plot->setAntialiasedElements(QCP::aeAll);
    QFont small = plot->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);

    if (plot->plotLayout()->rowCount() == 1 && !title.isEmpty()) {
        plot->plotLayout()->insertRow(0);
        auto *t =
            new QCPTextElement(plot, title, QFont(plot->font().family(), int(plot->font().pointSizeF()), QFont::Bold));
        t->setTextColor(fg);
        plot->plotLayout()->addElement(0, 0, t);
    }
    for (QCPAxis *axis : {plot->xAxis, plot->yAxis}) {
        axis->setBasePen(QPen(fg, 1));
        axis->setTickPen(QPen(fg, 1));
        axis->setSubTickPen(QPen(fg, 1));
        axis->setTickLabelColor(fg);
        axis->setLabelColor(fg);
        axis->setTickLabelFont(small);
        axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
        axis->grid()->setZeroLinePen(QPen(grid, 1));
    }
    plot->xAxis->setLabel(xLabel);
    plot->yAxis->setLabel(yLabel);
    plot->legend->setFont(small);
    plot->legend->setTextColor(fg);
    plot->legend->setBrush(pal.brush(QPalette::Base));
    plot->legend->setBorderPen(QPen(grid));
    plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
}

} // namespace qbui
