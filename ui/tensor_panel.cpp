#include "tensor_panel.h"

#include "chosen_type_delegate.h"
#include "formatting.h"
#include "tensor_filter_proxy.h"
#include "tensor_table_model.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

namespace qbui {

TensorPanel::TensorPanel(MixDocument *mix, QWidget *parent)
    : QWidget(parent), m_mix(mix), m_model(new TensorTableModel(mix, this)), m_proxy(new TensorFilterProxy(this)),
      m_delegate(new ChosenTypeDelegate(this)), m_view(new QTableView(this)), m_filter(new QLineEdit(this)),
      m_layers(new QComboBox(this)), m_status(new QLabel(this)), m_filterDelay(new QTimer(this)) {
    m_proxy->setSourceModel(m_model);

    m_filter->setPlaceholderText(tr("Filter tensors: ffn_down, blk.[0-3].*, *attn_?.weight"));
    m_filter->setClearButtonEnabled(true);
    // Typing re-filters only after a short pause, so a large model never stutters per keystroke.
    m_filterDelay->setSingleShot(true);
    m_filterDelay->setInterval(150);
    connect(m_filter, &QLineEdit::textChanged, m_filterDelay, qOverload<>(&QTimer::start));
    connect(m_filterDelay, &QTimer::timeout, this, [this] { m_proxy->setNamePattern(m_filter->text()); });
    connect(m_layers, &QComboBox::currentIndexChanged, this, &TensorPanel::applyLayerChoice);
    m_layers->setSizeAdjustPolicy(QComboBox::AdjustToContents);

    m_view->setModel(m_proxy);
    m_view->setItemDelegateForColumn(TensorTableModel::ChosenType, m_delegate);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(TensorTableModel::Name, Qt::AscendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_view, &QWidget::customContextMenuRequested, this, &TensorPanel::showContextMenu);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) {
                if (current.isValid())
                    emit currentTensorChanged(current.data(TensorTableModel::TensorIndexRole).toInt());
            });

    auto *filters = new QHBoxLayout;
    filters->addWidget(m_filter, 1);
    filters->addWidget(m_layers);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(filters);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_status);
    m_status->setVisible(false);
    rebuildLayerChoices();
}

void TensorPanel::setModel(std::shared_ptr<const qb::GgufModel> model) {
    m_gguf = model;
    m_delegate->setModel(model);
    m_model->setModel(std::move(model));
    rebuildLayerChoices();
    m_view->resizeColumnsToContents();
    // The name column carries long names; cap it so the numbers stay in view.
    m_view->setColumnWidth(TensorTableModel::Name, std::min(m_view->columnWidth(TensorTableModel::Name), 260));
    m_view->setColumnWidth(TensorTableModel::Error, std::max(m_view->columnWidth(TensorTableModel::Error), 80));
}

void TensorPanel::rebuildLayerChoices() {
    QSignalBlocker block(m_layers);
    m_layers->clear();
    m_layers->addItem(tr("All layers"), TensorFilterProxy::kAllLayers);
    m_layers->addItem(tr("Outside blocks"), TensorFilterProxy::kOutsideLayers);
    int maxLayer = -1;
    if (m_gguf) {
        for (const auto &t : m_gguf->tensors())
            maxLayer = std::max(maxLayer, layerOf(t.info->name));
    }
    for (int l = 0; l <= maxLayer; ++l)
        m_layers->addItem(tr("Layer %1").arg(l), l);
    m_proxy->setLayerRange(TensorFilterProxy::kAllLayers, TensorFilterProxy::kAllLayers);
}

void TensorPanel::applyLayerChoice() {
    const int layer = m_layers->currentData().toInt();
    m_proxy->setLayerRange(layer, layer);
}

QList<int> TensorPanel::selectedTensors() const {
    QList<int> out;
    for (const QModelIndex &row : m_view->selectionModel()->selectedRows())
        out.append(row.data(TensorTableModel::TensorIndexRole).toInt());
    std::sort(out.begin(), out.end());
    return out;
}

void TensorPanel::selectTensor(int tensor) {
    const QModelIndex source = m_model->index(tensor, TensorTableModel::Name);
    const QModelIndex proxied = m_proxy->mapFromSource(source);
    if (!proxied.isValid()) return;
    m_view->selectionModel()->setCurrentIndex(proxied, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->scrollTo(proxied);
}

void TensorPanel::setStatusText(const QString &text) {
    m_status->setText(text);
    m_status->setVisible(!text.isEmpty());
}

void TensorPanel::showContextMenu(const QPoint &pos) {
    if (!m_gguf) return;
    const QList<int> selected = selectedTensors();
    QMenu menu(this);
    if (!selected.isEmpty()) {
        // Offer only the types that fit every selected tensor.
        std::set<qb::GgmlType> common;
        bool first = true;
        for (int t : selected) {
            const QList<qb::GgmlType> fits = typesFor(*m_gguf->tensors()[size_t(t)].info);
            std::set<qb::GgmlType> these(fits.begin(), fits.end());
            if (first) {
                common = these;
                first = false;
            } else {
                std::erase_if(common, [&](qb::GgmlType x) { return !these.count(x); });
            }
        }
        QMenu *setType = menu.addMenu(tr("Set type of %n tensor(s)", nullptr, int(selected.size())));
        for (qb::GgmlType type : common) {
            setType->addAction(typeLabel(type), this, [this, selected, type] { m_mix->setOverride(selected, type); });
        }
        const bool anyOverridden =
            std::any_of(selected.begin(), selected.end(), [this](int t) { return m_mix->isOverridden(t); });
        QAction *reset = menu.addAction(tr("Reset override(s) of the selection"), this,
                                        [this, selected] { m_mix->clearOverrides(selected); });
        reset->setEnabled(anyOverridden);
    }
    QAction *resetAll = menu.addAction(tr("Reset all overrides"), m_mix, &MixDocument::clearAllOverrides);
    resetAll->setEnabled(m_mix->overrideCount() > 0);
    menu.addSeparator();
    menu.addAction(tr("Select all shown"), m_view, &QAbstractItemView::selectAll);
    menu.exec(m_view->viewport()->mapToGlobal(pos));
}

} // namespace qbui
