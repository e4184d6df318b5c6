#include "chosen_type_delegate.h"

#include "formatting.h"
#include "kernels/kernels.h"
#include "mix_document.h"
#include "tensor_table_model.h"

#include <QComboBox>

namespace qbui {

QList<qb::GgmlType> typesFor(const qb::GgufTensorInfo &info) {
    QList<qb::GgmlType> out;
    for (const qb::TypeTraits *t = qb::allTypesBegin(); t != qb::allTypesEnd(); ++t) {
        if (t->type == info.type || (qb::canQuantize(t->type) && MixDocument::typeFits(info, t->type)))
            out.append(t->type);
    }
    return out;
}

ChosenTypeDelegate::ChosenTypeDelegate(QObject *parent) : QStyledItemDelegate(parent) {}

QWidget *ChosenTypeDelegate::createEditor(QWidget *parent, const QStyleOptionViewItem &option,
                                          const QModelIndex &index) const {
    const int tensor = index.data(TensorTableModel::TensorIndexRole).toInt();
    if (!m_model || tensor < 0 || size_t(tensor) >= m_model->tensors().size())
        return QStyledItemDelegate::createEditor(parent, option, index);
    auto *combo = new QComboBox(parent);
    for (qb::GgmlType type : typesFor(*m_model->tensors()[size_t(tensor)].info))
        combo->addItem(typeLabel(type));
    // Commit as soon as a type is picked: one click, not click-then-Enter.
    connect(combo, &QComboBox::activated, this, [this, combo] {
        emit const_cast<ChosenTypeDelegate *>(this)->commitData(combo);
        emit const_cast<ChosenTypeDelegate *>(this)->closeEditor(combo);
    });
    return combo;
}

void ChosenTypeDelegate::setEditorData(QWidget *editor, const QModelIndex &index) const {
    if (auto *combo = qobject_cast<QComboBox *>(editor)) {
        combo->setCurrentText(index.data(Qt::EditRole).toString());
        return;
    }
    QStyledItemDelegate::setEditorData(editor, index);
}

void ChosenTypeDelegate::setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const {
    if (auto *combo = qobject_cast<QComboBox *>(editor)) {
        model->setData(index, combo->currentText(), Qt::EditRole);
        return;
    }
    QStyledItemDelegate::setModelData(editor, model, index);
}

} // namespace qbui
