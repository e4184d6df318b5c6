// The tensor table with its filters: a debounced name pattern, a layer choice, a context menu to
// override the type of the selected tensors and to reset overrides.
#pragma once

#include "mix_document.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;
class QTimer;

namespace qbui {

class ChosenTypeDelegate;
class TensorFilterProxy;
class TensorTableModel;

class TensorPanel final : public QWidget {
    Q_OBJECT
  public:
    TensorPanel(MixDocument *mix, QWidget *parent = nullptr);

    void setModel(std::shared_ptr<const qb::GgufModel> model);
    TensorTableModel *tableModel() const { return m_model; }
    TensorFilterProxy *proxy() const { return m_proxy; }
    QTableView *view() const { return m_view; }
    QLineEdit *filterEdit() const { return m_filter; }

    // Tensor indices of the selected rows (source-model rows), in file order.
    QList<int> selectedTensors() const;
    void selectTensor(int tensor);
    void setStatusText(const QString &text);

  signals:
    void currentTensorChanged(int tensor);

  private:
    void showContextMenu(const QPoint &pos);
    void rebuildLayerChoices();
    void applyLayerChoice();

    MixDocument *m_mix;
    std::shared_ptr<const qb::GgufModel> m_gguf;
    TensorTableModel *m_model;
    TensorFilterProxy *m_proxy;
    ChosenTypeDelegate *m_delegate;
    QTableView *m_view;
    QLineEdit *m_filter;
    QComboBox *m_layers;
    QLabel *m_status;
    QTimer *m_filterDelay;
};

} // namespace qbui
