#include "model_quality_results.h"

#include "formatting.h"

namespace qbui {

ModelQualityResults::ModelQualityResults(QObject *parent) : QAbstractTableModel(parent) {}

int ModelQualityResults::rowOf(const QString &name) const {
    for (size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].name == name) return int(i);
    return -1;
}

MeasuredQuality ModelQualityResults::measured(const QString &name) const {
    const int row = rowOf(name);
    return row < 0 ? MeasuredQuality{} : m_rows[size_t(row)].quality;
}

void ModelQualityResults::setMeasured(const QString &name, const MeasuredQuality &quality) {
    const int row = rowOf(name);
    if (!quality.valid()) {
        if (row < 0) return;
        beginRemoveRows({}, row, row);
        m_rows.erase(m_rows.begin() + row);
        endRemoveRows();
    } else if (row < 0) {
        beginInsertRows({}, int(m_rows.size()), int(m_rows.size()));
        m_rows.push_back({name, quality});
        endInsertRows();
    } else {
        m_rows[size_t(row)].quality = quality;
        emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
    }
}

void ModelQualityResults::clear() {
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

int ModelQualityResults::rowCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }
int ModelQualityResults::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant ModelQualityResults::data(const QModelIndex &index, int role) const {
    if (!index.isValid()) return {};
    const Row &r = m_rows[size_t(index.row())];
    const MeasuredQuality &q = r.quality;
    if (role == NumberRole) {
        switch (index.column()) {
        case FileSize: return double(q.fileBytes);
        case Bits: return q.bitsPerWeight;
        case Ppl: return q.ppl;
        case DeltaPpl: return q.deltaPpl;
        case MeanKld: return q.meanKld;
        case P99Kld: return q.p99Kld;
        case SameTop: return q.sameTop;
        default: return {};
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() != Candidate) return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
    case Candidate: return r.name;
    case FileSize: return formatBytes(q.fileBytes);
    case Bits: return QString::number(q.bitsPerWeight, 'f', 3);
    case Ppl: return QString::number(q.ppl, 'f', 4);
    case DeltaPpl:
        return QString((q.deltaPpl >= 0 ? QStringLiteral("+") : QString()) + QString::number(q.deltaPpl, 'f', 4));
    case MeanKld: return QString::number(q.meanKld, 'f', 6);
    case P99Kld: return QString::number(q.p99Kld, 'f', 6);
    case SameTop: return QString(QString::number(100 * q.sameTop, 'f', 2) + QStringLiteral(" %"));
    default: return {};
    }
}

QVariant ModelQualityResults::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case Candidate: return tr("Candidate");
    case FileSize: return tr("File size");
    case Bits: return tr("Bits/weight");
    case Ppl: return tr("PPL");
    case DeltaPpl: return tr("ΔPPL");
    case MeanKld: return tr("Mean KLD");
    case P99Kld: return tr("p99 KLD");
    case SameTop: return tr("Same top");
    default: return {};
    }
}

} // namespace qbui
