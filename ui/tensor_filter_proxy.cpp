#include "tensor_filter_proxy.h"

#include "tensor_table_model.h"

namespace qbui {

TensorFilterProxy::TensorFilterProxy(QObject *parent) : QSortFilterProxyModel(parent) {
    setSortRole(TensorTableModel::SortRole);
    setDynamicSortFilter(true);
}

void TensorFilterProxy::setNamePattern(const QString &pattern) {
    const QString trimmed = pattern.trimmed();
    if (trimmed == m_pattern) return;
    m_pattern = trimmed;
    if (m_pattern.contains(QLatin1Char('*')) || m_pattern.contains(QLatin1Char('?'))) {
        m_wildcard = QRegularExpression(QRegularExpression::wildcardToRegularExpression(
                                            m_pattern, QRegularExpression::UnanchoredWildcardConversion),
                                        QRegularExpression::CaseInsensitiveOption);
    } else {
        m_wildcard = {};
    }
    invalidateFilter();
}

void TensorFilterProxy::setLayerRange(int first, int last) {
    if (first == m_first && last == m_last) return;
    m_first = first;
    m_last = last;
    invalidateFilter();
}

bool TensorFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const {
    const QModelIndex idx = sourceModel()->index(sourceRow, TensorTableModel::Name, sourceParent);
    if (m_first != kAllLayers) {
        const int layer = idx.data(TensorTableModel::LayerRole).toInt();
        if (m_first == kOutsideLayers ? layer != -1 : (layer < m_first || layer > m_last)) return false;
    }
    if (m_pattern.isEmpty()) return true;
    const QString name = idx.data(Qt::DisplayRole).toString();
    if (m_wildcard.isValid() && !m_wildcard.pattern().isEmpty()) return m_wildcard.match(name).hasMatch();
    return name.contains(m_pattern, Qt::CaseInsensitive);
}

} // namespace qbui
