#include "label_table_model.h"

#include "formatting.h"

#include <QFont>

namespace qbui {

LabelTableModel::LabelTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void LabelTableModel::setEstimates(std::vector<LabelEstimate> estimates) {
    const QStringList checked = checkedLabels();
    beginResetModel();
    m_estimates = std::move(estimates);
    m_checked.assign(m_estimates.size(), false);
    m_measured.assign(m_estimates.size(), {});
    for (size_t i = 0; i < m_estimates.size(); ++i)
        m_checked[i] = m_estimates[i].available && checked.contains(QLatin1String(m_estimates[i].label->name));
    m_quality.assign(m_estimates.size(), NAN);
    m_qualityFailure.assign(m_estimates.size(), {});
    endResetModel();
    if (!checked.isEmpty()) emit checkedLabelsChanged();
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

void LabelTableModel::setChecked(const QString &name, bool checked) {
    const int row = rowOf(name);
    if (row < 0 || !m_estimates[size_t(row)].available || m_checked[size_t(row)] == checked) return;
    m_checked[size_t(row)] = checked;
    emit dataChanged(index(row, Label), index(row, Label), {Qt::CheckStateRole});
    emit checkedLabelsChanged();
}

bool LabelTableModel::isChecked(const QString &name) const {
    const int row = rowOf(name);
    return row >= 0 && m_checked[size_t(row)];
}

QStringList LabelTableModel::checkedLabels() const {
    QStringList out;
    for (size_t i = 0; i < m_estimates.size(); ++i)
        if (m_checked[i]) out.append(QString::fromLatin1(m_estimates[i].label->name));
    return out;
}

void LabelTableModel::setMeasured(const QString &name, const MeasuredQuality &quality) {
    const int row = rowOf(name);
    if (row < 0) return;
    m_measured[size_t(row)] = quality;
    emit dataChanged(index(row, MeanKld), index(row, DeltaPpl));
}

MeasuredQuality LabelTableModel::measured(const QString &name) const {
    const int row = rowOf(name);
    return row < 0 ? MeasuredQuality{} : m_measured[size_t(row)];
}

bool LabelTableModel::setData(const QModelIndex &index, const QVariant &value, int role) {
    if (!index.isValid() || index.column() != Label || role != Qt::CheckStateRole) return false;
    if (!m_estimates[size_t(index.row())].available) return false; // refused labels are never ticked
    const QString name = QString::fromLatin1(m_estimates[size_t(index.row())].label->name);
    setChecked(name, value.value<Qt::CheckState>() == Qt::Checked);
    return true;
}

int LabelTableModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_estimates.size());
}
int LabelTableModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant LabelTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (Column(section)) {
    case Label: return tr("Label");
    case Size: return tr("Size");
    case Bits: return tr("Bits/w");
    case Error: return tr("Rel. RMSE");
    case Description: return tr("Description");
    case MeanKld: return tr("KLD");
    case DeltaPpl: return tr("ΔPPL");
    case ColumnCount: break;
    }
    return {};
}

Qt::ItemFlags LabelTableModel::flags(const QModelIndex &index) const {
    if (!index.isValid() || index.model() != this) return Qt::NoItemFlags;
    // Refused labels stay visible (the user learns why) but cannot be picked.
    if (!m_estimates[size_t(index.row())].available) return Qt::NoItemFlags;
    const Qt::ItemFlags flags = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    return index.column() == Label ? flags | Qt::ItemIsUserCheckable : flags;
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
        case MeanKld: return m_measured[row].valid() ? QString::number(m_measured[row].meanKld, 'f', 5) : QString();
        case DeltaPpl: return m_measured[row].valid() ? QString::number(m_measured[row].deltaPpl, 'f', 4) : QString();
        case ColumnCount: break;
        }
        return {};
    case Qt::CheckStateRole:
        if (index.column() != Label || !e.available) return {};
        return m_checked[row] ? Qt::Checked : Qt::Unchecked;
    case SortRole:
        switch (Column(index.column())) {
        case Size: return QVariant::fromValue(qulonglong(e.bytes));
        case Bits: return e.bitsPerWeight;
        case Error: return m_quality[row];
        case MeanKld: return m_measured[row].meanKld;
        case DeltaPpl: return m_measured[row].deltaPpl;
        case Label: return int(row);
        default: return data(index, Qt::DisplayRole);
        }
    case NameRole: return name;
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
        if (index.column() == Size || index.column() == Bits || index.column() == Error || index.column() == MeanKld ||
            index.column() == DeltaPpl)
            return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
        return {};
    default: return {};
    }
}

} // namespace qbui
