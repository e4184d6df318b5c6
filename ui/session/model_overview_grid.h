// The model overview's grid without a widget: every tensor of a model placed in one cell of a
// layer × role table, and the value each cell shows for a mix (error, chosen type or bytes).
//
// Contract: rows are the layers blk.0 … blk.N in numeric order, then one row "other" for the
// tensors outside the blocks (token_embd, output, output_norm, …). Columns are the tensor roles:
// the name after "blk.N." without ".weight" (attn_q, ffn_down_exps, attn_q.bias, …), the usual
// projections first in a fixed order (attn_q/k/v/qkv/output, ffn_gate/up/down, the experts), then
// the other block roles, then the names of the tensors outside the blocks. Every tensor lands in
// exactly one cell and no two tensors share one (a role is unique within a layer). Cheap: names only.
#pragma once

#include "analysis/model_analyzer.h"
#include "gguf/gguf_model.h"

#include <QString>
#include <QStringList>

#include <cmath>
#include <vector>

namespace qbui {

class ModelOverviewGrid {
  public:
    ModelOverviewGrid() = default;
    explicit ModelOverviewGrid(const qb::GgufModel &model);

    int rowCount() const { return int(m_rows.size()); }
    int columnCount() const { return int(m_columns.size()); }
    const QStringList &rows() const { return m_rows; }
    const QStringList &columns() const { return m_columns; }
    // The tensor (index in GgufModel::tensors()) in a cell, or -1 for an empty cell.
    int tensorAt(int row, int column) const;
    // The cell of a tensor as {row, column}.
    std::pair<int, int> cellOf(int tensor) const { return m_cellOf.at(size_t(tensor)); }
    int tensorCount() const { return int(m_cellOf.size()); }

    // Splits "blk.12.attn_q.weight" into layer 12 and role "attn_q"; -1 and the name without
    // ".weight" for a tensor outside the blocks.
    static std::pair<int, QString> layerAndRole(const QString &tensorName);

  private:
    QStringList m_rows, m_columns;
    std::vector<int> m_cells; // row-major, -1 empty
    std::vector<std::pair<int, int>> m_cellOf;
};

// What a cell's colour stands for.
enum class OverviewQuantity { RelativeError, ChosenType, Bytes };

// One value per tensor for the mix: relative RMSE (0 when the type is unchanged, NaN until it is
// computed), the chosen type's bits per weight, or the bytes the tensor takes in the mix.
struct OverviewValues {
    std::vector<double> error;      // per tensor; NaN: not computed (yet) or failed
    std::vector<double> typeBits;   // per tensor
    std::vector<double> bytes;      // per tensor
    std::vector<qb::GgmlType> type; // per tensor
    double value(OverviewQuantity q, int tensor) const;
};

// Types and bytes of a mix at once (cheap); errors left NaN except for unchanged tensors (0).
OverviewValues overviewSizes(const qb::GgufModel &model, const std::vector<qb::MixEntry> &mix);

} // namespace qbui
