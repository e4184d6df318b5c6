// The painted heat map of the model overview: one coloured cell per tensor, rows = layers,
// columns = roles (ModelOverviewGrid), colour = the chosen quantity on a viridis scale
// (logarithmic for error and bytes), a colour bar with its range underneath.
//
// Contract: shows what it is given (grid, values, quantity) and nothing else; hovering a cell
// shows the tensor's name, type, bytes and error; clicking a cell emits tensorClicked. Cells
// without a value yet (an error still being computed) are drawn hatched.
#pragma once

#include "model_overview_grid.h"

#include <QWidget>

namespace qbui {

class OverviewHeatMap final : public QWidget {
    Q_OBJECT
  public:
    explicit OverviewHeatMap(QWidget *parent = nullptr);

    void setGrid(ModelOverviewGrid grid, QStringList tensorNames);
    void setValues(OverviewValues values, OverviewQuantity quantity);
    const ModelOverviewGrid &grid() const { return m_grid; }
    const OverviewValues &values() const { return m_values; }
    OverviewQuantity quantity() const { return m_quantity; }

    // Where a cell is drawn (widget pixels), and the cell under a pixel ({-1, -1} for none).
    QRect cellRect(int row, int column) const;
    std::pair<int, int> cellAt(const QPoint &pixel) const;
    // The hover text of a tensor: name, type, bytes, error.
    QString describe(int tensor) const;

    QSize minimumSizeHint() const override { return {320, 200}; }

  signals:
    void tensorClicked(int tensor);

  protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    bool event(QEvent *event) override;

  private:
    QRect gridArea() const;
    // The colour scale's range over the values present (NaN: none).
    std::pair<double, double> range() const;
    bool logarithmic() const { return m_quantity != OverviewQuantity::ChosenType; }
    QColor colourOf(double value, std::pair<double, double> range) const;

    ModelOverviewGrid m_grid;
    QStringList m_names;
    OverviewValues m_values;
    OverviewQuantity m_quantity = OverviewQuantity::RelativeError;
};

} // namespace qbui
