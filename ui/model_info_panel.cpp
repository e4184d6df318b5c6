#include "model_info_panel.h"

#include "formatting.h"

#include <QFileInfo>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <map>

namespace qbui {
namespace {

// Item data: which metadata value (key index) and path of array indices leads to this item, and
// how many children have been created so far.
constexpr int kKeyRole = Qt::UserRole + 1;
constexpr int kPathRole = Qt::UserRole + 2;
constexpr int kFilledRole = Qt::UserRole + 3;
constexpr int kMoreRole = Qt::UserRole + 4;

QString valueText(const qb::GgufValue &value) {
    if (const qb::GgufArray *a = value.array()) {
        return QObject::tr("[%1 × %2]").arg(a->items.size()).arg(QLatin1String(qb::ggufValueTypeName(a->elementType)));
    }
    return QString::fromStdString(value.toDisplayString());
}

// The type a file's tensors mostly use, weighted by bytes: the honest answer to "what file type".
QString dominantType(const qb::GgufModel &model) {
    std::map<qb::GgmlType, uint64_t> bytes;
    for (const auto &t : model.tensors())
        if (t.info->nDims >= 2) bytes[t.info->type] += t.info->nbytes;
    qb::GgmlType best = qb::GgmlType::F32;
    uint64_t most = 0;
    for (const auto &[type, n] : bytes)
        if (n > most) best = type, most = n;
    return most ? typeLabel(best) : QStringLiteral("–");
}

} // namespace

ModelInfoPanel::ModelInfoPanel(QWidget *parent)
    : QWidget(parent), m_form(new QFormLayout), m_tree(new QTreeWidget(this)) {
    for (const QString &name : {tr("File"), tr("Architecture"), tr("Name"), tr("Parameters"), tr("File type"),
                                tr("Tensors"), tr("Size"), tr("Bits per weight"), tr("Importance")})
        addField(name);
    m_tree->setColumnCount(2);
    m_tree->setHeaderLabels({tr("Key"), tr("Value")});
    m_tree->setUniformRowHeights(true);
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Interactive);
    m_tree->header()->resizeSection(0, 220);
    connect(m_tree, &QTreeWidget::itemExpanded, this, [this](QTreeWidgetItem *item) {
        if (item->data(0, kFilledRole).toInt() == 0) fillArrayPage(item);
    });
    connect(m_tree, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem *item) {
        if (item->data(0, kMoreRole).toBool()) fillArrayPage(item->parent());
    });

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    m_form->setLabelAlignment(Qt::AlignRight);
    layout->addLayout(m_form);
    layout->addWidget(m_tree, 1);
}

QLabel *ModelInfoPanel::addField(const QString &name) {
    auto *label = new QLabel(QStringLiteral("–"), this);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    m_form->addRow(name + QLatin1Char(':'), label);
    m_fields.append({name, label});
    return label;
}

QString ModelInfoPanel::field(const QString &name) const {
    for (const auto &[n, label] : m_fields)
        if (n == name) return label->text();
    return {};
}

void ModelInfoPanel::setImportanceSummary(const QString &text) {
    for (const auto &[n, label] : m_fields)
        if (n == tr("Importance")) label->setText(text);
}

void ModelInfoPanel::setModel(std::shared_ptr<const qb::GgufModel> model, const QString &path) {
    m_model = std::move(model);
    m_tree->clear();
    if (!m_model) return;
    const qb::GgufModel &m = *m_model;
    auto str = [&](const char *key) {
        const qb::GgufValue *v = m.find(key);
        return v && v->string() ? QString::fromStdString(*v->string()) : QStringLiteral("–");
    };
    const uint64_t params = m.parameterCount();
    const QString values[] = {
        QFileInfo(path).fileName(),
        str("general.architecture"),
        str("general.name"),
        QStringLiteral("%1 (%2)").arg(formatCount(params), QLocale::c().toString(qulonglong(params))),
        dominantType(m),
        QString::number(m.tensors().size()),
        formatBytes(m.totalFileSize()),
        params ? QString::number(8.0 * double(m.tensorBytes()) / double(params), 'f', 2) : QStringLiteral("–"),
    };
    for (size_t i = 0; i < std::size(values); ++i)
        m_fields[int(i)].second->setText(values[i]);

    const auto &metadata = m.metadata();
    QList<QTreeWidgetItem *> items;
    for (size_t k = 0; k < metadata.size(); ++k) {
        const auto &kv = metadata[k];
        auto *item = new QTreeWidgetItem({QString::fromStdString(kv.key), valueText(kv.value)});
        item->setToolTip(1, item->text(1));
        if (const qb::GgufArray *a = kv.value.array(); a && !a->items.empty()) {
            item->setData(0, kKeyRole, int(k));
            item->setData(0, kPathRole, QVariantList{});
            item->setData(0, kFilledRole, 0);
            item->setChildIndicatorPolicy(QTreeWidgetItem::ShowIndicator);
        }
        items.append(item);
    }
    m_tree->addTopLevelItems(items);
}

void ModelInfoPanel::fillArrayPage(QTreeWidgetItem *item) {
    if (!m_model || !item || !item->data(0, kKeyRole).isValid()) return;
    // Walk from the metadata value down the stored path of array indices.
    const qb::GgufValue *value = &m_model->metadata().at(size_t(item->data(0, kKeyRole).toInt())).value;
    const QVariantList path = item->data(0, kPathRole).toList();
    for (const QVariant &i : path)
        value = &value->array()->items.at(size_t(i.toInt()));
    const qb::GgufArray *array = value->array();
    if (!array) return;

    // Remove a previous "more…" row before adding the next page.
    if (int n = item->childCount(); n > 0 && item->child(n - 1)->data(0, kMoreRole).toBool())
        delete item->takeChild(n - 1);
    const int filled = item->data(0, kFilledRole).toInt();
    const int end = std::min<int>(int(array->items.size()), filled + kPageSize);
    QList<QTreeWidgetItem *> children;
    for (int i = filled; i < end; ++i) {
        const qb::GgufValue &child = array->items[size_t(i)];
        auto *c = new QTreeWidgetItem({QStringLiteral("[%1]").arg(i), valueText(child)});
        if (const qb::GgufArray *sub = child.array(); sub && !sub->items.empty()) {
            QVariantList childPath = path;
            childPath.append(i);
            c->setData(0, kKeyRole, item->data(0, kKeyRole));
            c->setData(0, kPathRole, childPath);
            c->setData(0, kFilledRole, 0);
            c->setChildIndicatorPolicy(QTreeWidgetItem::ShowIndicator);
        }
        children.append(c);
    }
    if (end < int(array->items.size())) {
        auto *more =
            new QTreeWidgetItem({tr("… %1 more (activate to show)").arg(array->items.size() - size_t(end)), {}});
        more->setData(0, kMoreRole, true);
        children.append(more);
    }
    item->addChildren(children);
    item->setData(0, kFilledRole, end);
}

} // namespace qbui
