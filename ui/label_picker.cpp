#include "label_picker.h"

#include "label_table_model.h"

#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace qbui {

LabelPicker::LabelPicker(LabelTableModel *model, QWidget *parent)
    : QWidget(parent), m_model(model), m_view(new QTableView(this)), m_summary(new QLabel(this)),
      m_quantizeChecked(new QPushButton(tr("Quantize checked…"), this)) {
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setWordWrap(false);
    m_view->setAlternatingRowColors(true);
    connect(m_view, &QAbstractItemView::clicked, this, [this](const QModelIndex &index) {
        if (index.flags() & Qt::ItemIsEnabled) emit labelChosen(index.data(LabelTableModel::NameRole).toString());
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        m_view->resizeColumnsToContents();
        m_view->setColumnWidth(LabelTableModel::Error, std::max(m_view->columnWidth(LabelTableModel::Error), 80));
    });
    m_summary->setWordWrap(true);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_summary);
    layout->addWidget(m_view, 1);
    // Tick labels in the first column, then write them all in one pass over the model.
    m_quantizeChecked->setEnabled(false);
    m_quantizeChecked->setToolTip(tr("Write every ticked label in one pass over the model"));
    layout->addWidget(m_quantizeChecked);
    connect(m_quantizeChecked, &QPushButton::clicked, this, &LabelPicker::quantizeCheckedRequested);
    connect(m_model, &LabelTableModel::checkedLabelsChanged, this,
            [this] { m_quantizeChecked->setEnabled(!m_model->checkedLabels().isEmpty()); });
    setSummary(tr("Open a model to see every label's size."));
}

void LabelPicker::setSummary(const QString &text) { m_summary->setText(text); }

} // namespace qbui
