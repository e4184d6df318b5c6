#include "tensor_table_model.h"

#include "formatting.h"

#include <QBrush>
#include <QColor>
#include <QFont>

namespace qbui {

TensorTableModel::TensorTableModel(MixDocument *mix, QObject *parent) : QAbstractTableModel(parent), m_mix(mix) {
    connect(m_mix, &MixDocument::changed, this, &TensorTableModel::onMixChanged);
}

void TensorTableModel::setModel(std::shared_ptr<const qb::GgufModel> model) {
    beginResetModel();
    m_model = std::move(model);
    m_errors.assign(m_model ? m_model->tensors().size() : 0, {});
    m_layers.clear();
    if (m_model) {
        for (const auto &t : m_model->tensors())
            m_layers.push_back(layerOf(t.info->name));
    }
    endResetModel();
}

void TensorTableModel::onMixChanged(const QList<int> &tensors) {
    if (!m_model || m_mix->tensorCount() != rowCount()) return; // the document is for another model
    if (tensors.size() == rowCount()) {
        emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    for (int t : tensors) {
        if (t >= 0 && t < rowCount()) emit dataChanged(index(t, 0), index(t, ColumnCount - 1));
    }
}

void TensorTableModel::setError(int tensor, qb::GgmlType type, double relativeRmse, const QString &failure) {
    if (tensor < 0 || tensor >= rowCount()) return;
    m_errors[size_t(tensor)] = {true, type, relativeRmse, failure};
    const QModelIndex cell = index(tensor, Error);
    emit dataChanged(cell, cell);
}

void TensorTableModel::clearErrors() {
    if (m_errors.empty()) return;
    for (auto &e : m_errors)
        e = {};
    emit dataChanged(index(0, Error), index(rowCount() - 1, Error));
}

int TensorTableModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() || !m_model ? 0 : int(m_model->tensors().size());
}

int TensorTableModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant TensorTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) return {};
    if (role == Qt::DisplayRole) {
        switch (Column(section)) {
        case Name: return tr("Tensor");
        case Shape: return tr("Shape");
        case Parameters: return tr("Parameters");
        case StoredType: return tr("Stored");
        case ChosenType: return tr("Chosen");
        case SizeNow: return tr("Size now");
        case SizeAfter: return tr("Size after");
        case Error: return tr("Rel. RMSE");
        case Reason: return tr("Why");
        case ColumnCount: break;
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (Column(section)) {
        case Error: return tr("Relative RMSE of the chosen type, ‖q − w‖ / ‖w‖ (preview sample)");
        case ChosenType: return tr("Double-click or use the context menu to override");
        case Reason: return tr("The mix rule that chose the type, or your override");
        default: break;
        }
    }
    if (role == Qt::TextAlignmentRole) {
        const bool numeric = section == Parameters || section == SizeNow || section == SizeAfter || section == Error;
        return QVariant::fromValue(Qt::Alignment((numeric ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter));
    }
    return {};
}

Qt::ItemFlags TensorTableModel::flags(const QModelIndex &index) const {
    if (!index.isValid() || index.model() != this) return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (index.column() == ChosenType) f |= Qt::ItemIsEditable;
    return f;
}

QVariant TensorTableModel::displayData(int row, int column) const {
    const qb::GgufTensorInfo &info = *m_model->tensors()[size_t(row)].info;
    switch (Column(column)) {
    case Name: return QString::fromStdString(info.name);
    case Shape: return formatShape(info);
    case Parameters: return formatCount(uint64_t(info.elements()));
    case StoredType: return typeLabel(info.type);
    case ChosenType: return typeLabel(m_mix->chosenType(row));
    case SizeNow: return formatBytes(info.nbytes);
    case SizeAfter: return formatBytes(m_mix->bytesAfter(row));
    case Error: {
        const qb::GgmlType chosen = m_mix->chosenType(row);
        if (chosen == info.type) return tr("unchanged");
        const ErrorCell &e = m_errors[size_t(row)];
        if (!e.known || e.type != chosen) return tr("…");
        return e.failure.isEmpty() ? formatRelative(e.relative) : tr("n/a");
    }
    case Reason: return m_mix->reason(row);
    case ColumnCount: break;
    }
    return {};
}

QVariant TensorTableModel::sortData(int row, int column) const {
    const qb::GgufTensorInfo &info = *m_model->tensors()[size_t(row)].info;
    switch (Column(column)) {
    case Name: return QVariant::fromValue(row); // file order groups the blocks naturally
    case Parameters: return QVariant::fromValue(qlonglong(info.elements()));
    case SizeNow: return QVariant::fromValue(qulonglong(info.nbytes));
    case SizeAfter: return QVariant::fromValue(qulonglong(m_mix->bytesAfter(row)));
    case Shape: return QVariant::fromValue(qlonglong(info.elements()));
    case Error: {
        const qb::GgmlType chosen = m_mix->chosenType(row);
        if (chosen == info.type) return 0.0;
        const ErrorCell &e = m_errors[size_t(row)];
        return e.known && e.type == chosen && e.failure.isEmpty() ? e.relative : -1.0;
    }
    default: return displayData(row, column);
    }
}

QVariant TensorTableModel::data(const QModelIndex &index, int role) const {
    if (!index.isValid() || index.model() != this) return {};
    const int row = index.row();
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole: return displayData(row, column);
    case Qt::EditRole:
        return column == ChosenType ? QVariant(typeLabel(m_mix->chosenType(row))) : displayData(row, column);
    case SortRole: return sortData(row, column);
    case TensorIndexRole: return row;
    case LayerRole: return m_layers[size_t(row)];
    case OverriddenRole: return m_mix->isOverridden(row);
    case Qt::TextAlignmentRole: return headerData(column, Qt::Horizontal, role);
    case Qt::ToolTipRole:
        if (column == Error) {
            const ErrorCell &e = m_errors[size_t(row)];
            if (e.known && !e.failure.isEmpty()) return e.failure;
        }
        if (column == Reason || column == Name) return displayData(row, column);
        return {};
    case Qt::FontRole:
        if (m_mix->isOverridden(row) && (column == ChosenType || column == Reason)) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        return {};
    case Qt::BackgroundRole:
        // Overrides stand out in a warm tint that reads on light and dark palettes alike.
        if (m_mix->isOverridden(row)) return QBrush(QColor(255, 170, 0, 60));
        return {};
    default: return {};
    }
}

bool TensorTableModel::setData(const QModelIndex &index, const QVariant &value, int role) {
    if (role != Qt::EditRole || !index.isValid() || index.model() != this || index.column() != ChosenType) return false;
    const auto type = qb::typeFromName(value.toString().toStdString());
    if (!type) return false;
    return m_mix->setOverride({index.row()}, *type); // the document's changed() updates the row
}

} // namespace qbui
