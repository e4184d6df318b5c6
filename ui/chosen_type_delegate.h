// In-cell editor for the chosen-type column: a combo box of the types that can hold the tensor.
#pragma once

#include "gguf/gguf_model.h"

#include <QStyledItemDelegate>

#include <memory>

namespace qbui {

// Types the kernels can produce and whose block size divides the row length, in id order.
QList<qb::GgmlType> typesFor(const qb::GgufTensorInfo &info);

class ChosenTypeDelegate final : public QStyledItemDelegate {
    Q_OBJECT
  public:
    explicit ChosenTypeDelegate(QObject *parent = nullptr);
    void setModel(std::shared_ptr<const qb::GgufModel> model) { m_model = std::move(model); }

    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &option, const QModelIndex &index) const final;
    void setEditorData(QWidget *editor, const QModelIndex &index) const final;
    void setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const final;

  private:
    std::shared_ptr<const qb::GgufModel> m_model;
};

} // namespace qbui
