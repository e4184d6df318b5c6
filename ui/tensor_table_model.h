// Every tensor of the model as a table row: what it is now, what the mix makes of it, and why.
//
// Contract: rows are GgufModel::tensors() in file order. DisplayRole is formatted for people,
// SortRole is the underlying number (or text) so sorting is numeric. The chosen-type column is
// editable (EditRole: the ggml type name); an edit becomes an override in the MixDocument.
// The error column fills in as setError() delivers results; a result for a type that is no
// longer the tensor's chosen type is ignored, so late background results cannot show stale data.
#pragma once

#include "mix_document.h"

#include <QAbstractTableModel>

#include <cmath>
#include <memory>
#include <vector>

namespace qbui {

class TensorTableModel final : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column { Name, Shape, Parameters, StoredType, ChosenType, SizeNow, SizeAfter, Error, Reason, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, TensorIndexRole, LayerRole, OverriddenRole };

    explicit TensorTableModel(MixDocument *mix, QObject *parent = nullptr);

    void setModel(std::shared_ptr<const qb::GgufModel> model);
    // The relative RMSE of tensor in type; NaN with a failure text when it could not be computed.
    void setError(int tensor, qb::GgmlType type, double relativeRmse, const QString &failure = {});
    // Forget all errors (e.g. a new importance matrix changes them).
    void clearErrors();

    int rowCount(const QModelIndex &parent = {}) const final;
    int columnCount(const QModelIndex &parent = {}) const final;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const final;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const final;
    Qt::ItemFlags flags(const QModelIndex &index) const final;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) final;

  private:
    struct ErrorCell {
        bool known = false;
        qb::GgmlType type = qb::GgmlType::F32;
        double relative = NAN;
        QString failure;
    };
    void onMixChanged(const QList<int> &tensors);
    QVariant displayData(int row, int column) const;
    QVariant sortData(int row, int column) const;

    MixDocument *m_mix;
    std::shared_ptr<const qb::GgufModel> m_model;
    std::vector<ErrorCell> m_errors;
    std::vector<int> m_layers;
};

} // namespace qbui
