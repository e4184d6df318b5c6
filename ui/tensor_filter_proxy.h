// Filters the tensor table by name pattern and by layer, and sorts by the numeric sort role.
//
// Contract: the name pattern is a plain substring, or a wildcard pattern when it holds * or ?
// (e.g. "blk.*.ffn_down*"); matching ignores case. The layer filter keeps tensors whose layer
// lies in [first, last]; the special value kOutsideLayers keeps only tensors outside the blocks.
#pragma once

#include <QRegularExpression>
#include <QSortFilterProxyModel>

namespace qbui {

class TensorFilterProxy final : public QSortFilterProxyModel {
    Q_OBJECT
  public:
    static constexpr int kAllLayers = -2;
    static constexpr int kOutsideLayers = -1;

    explicit TensorFilterProxy(QObject *parent = nullptr);

    void setNamePattern(const QString &pattern);
    QString namePattern() const { return m_pattern; }
    // first = kAllLayers: no layer filter; first = kOutsideLayers: only non-block tensors.
    void setLayerRange(int first, int last);

  protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const final;

  private:
    QString m_pattern;
    QRegularExpression m_wildcard;
    int m_first = kAllLayers;
    int m_last = kAllLayers;
};

} // namespace qbui
