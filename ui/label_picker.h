// The label list as a dock: click a label and its mix is applied to the table at once.
#pragma once

#include <QWidget>

class QLabel;
class QPushButton;
class QTableView;

namespace qbui {

class LabelTableModel;

class LabelPicker final : public QWidget {
    Q_OBJECT
  public:
    explicit LabelPicker(LabelTableModel *model, QWidget *parent = nullptr);
    QTableView *view() const { return m_view; }
    void setSummary(const QString &text);

  signals:
    void labelChosen(const QString &name);
    // "Quantize checked…": the ticked labels (LabelTableModel::checkedLabels) in one pass.
    void quantizeCheckedRequested();

  private:
    LabelTableModel *m_model;
    QTableView *m_view;
    QLabel *m_summary;
    QPushButton *m_quantizeChecked;
};

} // namespace qbui
