#include "label_table_model.h"

#include "formatting.h"

#include <QFont>

namespace qbui {

LabelTableModel::LabelTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void LabelTableModel::setEstimates(std::vector<LabelEstimate> estimates) {
    const QStringList ticked = checkedLabels();
    beginResetModel();
    m_estimates = std::move(estimates);
    m_quality.assign(m_estimates.size(), NAN);
    m_qualityFailure.assign(m_estimates.size(), {});
    m_checked.assign(m_estimates.size(), false);
    for (size_t i = 0; i < m_estimates.size(); ++i)
        m_checked[i] = m_estimates[i].available && ticked.contains(QLatin1String(m_estimates[i].label->name));
    endResetModel();
    if (!ticked.isEmpty()) emit checkedLabelsChanged();
}

QStringList LabelTableModel::checkedLabels() const {
    QStringList names;
    for (size_t i = 0; i < m_checked.size(); ++i)
        if (m_checked[i]) names << QString::fromLatin1(m_estimates[i].label->name);
    return names;
}

void LabelTableModel::setChecked(const QString &name, bool checked) {
    const int row = rowOf(name);
    if (row >= 0) setData(index(row, Label), checked ? Qt::Checked : Qt::Unchecked, Qt::CheckStateRole);
}

bool LabelTableModel::setData(const QModelIndex &index, const QVariant &value, int role) {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid) || role != Qt::CheckStateRole || index.column() != Label)
        return false;
    const size_t row = size_t(index.row());
    if (!m_estimates[row].available) return false;
    const bool checked = value.value<Qt::CheckState>() == Qt::Checked;
    if (m_checked[row] == checked) return true;
    m_checked[row] = checked;
    emit dataChanged(index, index, {Qt::CheckStateRole});
    emit checkedLabelsChanged();
    return true;
}

int LabelTableModel::rowOf(const QString &name) const {
    for (size_t i = 0; i < m_estimates.size(); ++i)
        if (name.compare(QLatin1String(m_estimates[i].label->name), Qt::CaseInsensitive) == 0) return int(i);
    return -1;
}

const LabelEstimate *LabelTableModel::find(const QString &name) const {
    const int row = rowOf(name);
    return row < 0 ? nullptr : &m_estimates[size_t(row)];
}

void LabelTableModel::setCurrentLabel(const QString &name) {
    const int before = rowOf(m_current);
    m_current = name;
    for (int row : {before, rowOf(name)})
        if (row >= 0) emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

void LabelTableModel::setQuality(const QString &name, double relativeRmse, const QString &failure) {
    const int row = rowOf(name);
    if (row < 0) return;
    m_quality[size_t(row)] = relativeRmse;
    m_qualityFailure[size_t(row)] = failure;
    emit dataChanged(index(row, Error), index(row, Error));
}

double LabelTableModel::quality(const QString &name) const {
    const int row = rowOf(name);
    return row < 0 ? NAN : m_quality[size_t(row)];
}

int LabelTableModel::rowCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : int(m_estimates.size()); }
int LabelTableModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant LabelTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (Column(section)) {
    case Label: return tr("Label");
    case Size: return tr("Size");
    case Bits: return tr("Bits/w");
    case Error: return tr("Rel. RMSE");
    case Description: return tr("Description");
    case ColumnCount: break;
    }
    return {};
}

Qt::ItemFlags LabelTableModel::flags(const QModelIndex &index) const {
    if (!index.isValid() || index.model() != this) return Qt::NoItemFlags;
    // Refused labels stay visible (the user learns why) but cannot be picked.
    if (!m_estimates[size_t(index.row())].available) return Qt::NoItemFlags;
    return index.column() == Label ? Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable
                                   : Qt::ItemIsEnabled | Qt::ItemIsSelectable;
}

QVariant LabelTableModel::data(const QModelIndex &index, int role) const {
    if (!index.isValid() || index.model() != this) return {};
    const size_t row = size_t(index.row());
    const LabelEstimate &e = m_estimates[row];
    const QString name = QString::fromLatin1(e.label->name);
    switch (role) {
    case Qt::DisplayRole:
        switch (Column(index.column())) {
        case Label: return name;
        case Size: return e.available ? formatBytes(e.bytes) : QString();
        case Bits: return e.available ? QString::number(e.bitsPerWeight, 'f', 2) : QString();
        case Error:
            if (!e.available) return tr("refused");
            if (!m_qualityFailure[row].isEmpty()) return tr("n/a");
            return std::isnan(m_quality[row]) ? QString() : formatRelative(m_quality[row]);
        case Description: return QString::fromUtf8(e.label->description);
        case ColumnCount: break;
        }
        return {};
    case SortRole:
        switch (Column(index.column())) {
        case Size: return QVariant::fromValue(qulonglong(e.bytes));
        case Bits: return e.bitsPerWeight;
        case Error: return m_quality[row];
        case Label: return int(row);
        default: return data(index, Qt::DisplayRole);
        }
    case NameRole: return name;
    case Qt::CheckStateRole:
        if (index.column() != Label || !e.available) return {};
        return m_checked[row] ? Qt::Checked : Qt::Unchecked;
    case Qt::ToolTipRole: {
        if (!e.available) return e.refusal;
        if (!m_qualityFailure[row].isEmpty() && index.column() == Error) return m_qualityFailure[row];
        return QStringLiteral("%1 — %2\nllama.cpp: %3")
            .arg(name, QString::fromUtf8(e.label->description), QString::fromUtf8(e.label->llamaHelp));
    }
    case Qt::FontRole:
        if (name == m_current) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Size || index.column() == Bits || index.column() == Error)
            return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
        return {};
    default: return {};
    }
}

} // namespace qbui
