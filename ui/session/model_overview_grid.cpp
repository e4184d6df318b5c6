#include "model_overview_grid.h"

#include "gguf/tensor_bytes.h"

#include <QRegularExpression>

#include <algorithm>
#include <map>
#include <set>

namespace qbui {
namespace {

// The projections a person compares across layers come first, in the order of a block's data flow.
const QStringList &knownRoles() {
    static const QStringList roles{
        QStringLiteral("attn_q"),         QStringLiteral("attn_k"),        QStringLiteral("attn_v"),
        QStringLiteral("attn_qkv"),       QStringLiteral("attn_output"),   QStringLiteral("ffn_gate"),
        QStringLiteral("ffn_up"),         QStringLiteral("ffn_down"),      QStringLiteral("ffn_gate_exps"),
        QStringLiteral("ffn_up_exps"),    QStringLiteral("ffn_down_exps"), QStringLiteral("ffn_gate_up_exps"),
        QStringLiteral("ffn_gate_shexp"), QStringLiteral("ffn_up_shexp"),  QStringLiteral("ffn_down_shexp"),
    };
    return roles;
}

} // namespace

std::pair<int, QString> ModelOverviewGrid::layerAndRole(const QString &tensorName) {
    static const QRegularExpression block(QStringLiteral("^blk\\.(\\d+)\\.(.+)$"));
    QString rest = tensorName;
    int layer = -1;
    if (const auto m = block.match(tensorName); m.hasMatch()) {
        bool ok = false;
        const int n = m.captured(1).toInt(&ok);
        if (ok) {
            layer = n;
            rest = m.captured(2);
        }
    }
    if (rest.endsWith(QStringLiteral(".weight"))) rest.chop(7);
    return {layer, rest};
}

ModelOverviewGrid::ModelOverviewGrid(const qb::GgufModel &model) {
    const auto &tensors = model.tensors();
    std::vector<std::pair<int, QString>> placed;
    placed.reserve(tensors.size());
    std::set<int> layers;
    std::set<QString> blockRoles, otherRoles;
    bool hasOther = false;
    for (const auto &t : tensors) {
        placed.push_back(layerAndRole(QString::fromStdString(t.info->name)));
        if (placed.back().first >= 0) {
            layers.insert(placed.back().first);
            blockRoles.insert(placed.back().second);
        } else {
            hasOther = true;
            otherRoles.insert(placed.back().second);
        }
    }
    std::map<int, int> rowOfLayer;
    for (int layer : layers) {
        rowOfLayer[layer] = int(m_rows.size());
        m_rows.append(QStringLiteral("blk.%1").arg(layer));
    }
    const int otherRow = hasOther ? int(m_rows.size()) : -1;
    if (hasOther) m_rows.append(QStringLiteral("other"));

    std::map<QString, int> columnOfRole;
    auto addColumn = [&](const QString &role) {
        if (columnOfRole.count(role)) return;
        columnOfRole[role] = int(m_columns.size());
        m_columns.append(role);
    };
    for (const QString &role : knownRoles())
        if (blockRoles.count(role)) addColumn(role);
    for (const QString &role : blockRoles)
        addColumn(role);
    for (const QString &role : otherRoles)
        addColumn(role);

    m_cells.assign(size_t(m_rows.size()) * size_t(m_columns.size()), -1);
    m_cellOf.resize(tensors.size());
    for (size_t i = 0; i < placed.size(); ++i) {
        const auto &[layer, role] = placed[i];
        const int row = layer >= 0 ? rowOfLayer.at(layer) : otherRow;
        const int column = columnOfRole.at(role);
        m_cells[size_t(row) * size_t(m_columns.size()) + size_t(column)] = int(i);
        m_cellOf[i] = {row, column};
    }
}

int ModelOverviewGrid::tensorAt(int row, int column) const {
    if (row < 0 || column < 0 || row >= rowCount() || column >= columnCount()) return -1;
    return m_cells[size_t(row) * size_t(m_columns.size()) + size_t(column)];
}

double OverviewValues::value(OverviewQuantity q, int tensor) const {
    const size_t i = size_t(tensor);
    switch (q) {
    case OverviewQuantity::RelativeError: return error.at(i);
    case OverviewQuantity::ChosenType: return typeBits.at(i);
    case OverviewQuantity::Bytes: return bytes.at(i);
    }
    return NAN;
}

OverviewValues overviewSizes(const qb::GgufModel &model, const std::vector<qb::MixEntry> &mix) {
    const auto &tensors = model.tensors();
    OverviewValues v;
    v.error.assign(tensors.size(), NAN);
    v.typeBits.assign(tensors.size(), NAN);
    v.bytes.assign(tensors.size(), NAN);
    v.type.resize(tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i)
        v.type[i] = tensors[i].info->type;
    for (const qb::MixEntry &e : mix) {
        if (e.tensor >= tensors.size()) continue;
        const qb::GgufTensorInfo &info = *tensors[e.tensor].info;
        v.type[e.tensor] = e.type;
        const auto bytes = qb::tensorBytesAt(info, e.type);
        v.bytes[e.tensor] = double(bytes);
        v.typeBits[e.tensor] = info.elements() > 0 ? 8.0 * double(bytes) / double(info.elements()) : NAN;
        if (e.type == info.type) v.error[e.tensor] = 0.0;
    }
    return v;
}

} // namespace qbui
