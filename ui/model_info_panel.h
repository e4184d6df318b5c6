// The model panel: a summary (architecture, parameters, file type, size, bits per weight,
// importance matrix coverage) above the full metadata as a tree. Arrays show their element type
// and count; their items are created only when the user expands them, in pages of kPageSize,
// so a 150,000-entry vocabulary costs nothing until asked for.
#pragma once

#include "gguf/gguf_model.h"

#include <QWidget>

#include <memory>

class QFormLayout;
class QLabel;
class QTreeWidget;
class QTreeWidgetItem;

namespace qbui {

class ModelInfoPanel final : public QWidget {
    Q_OBJECT
  public:
    static constexpr int kPageSize = 200;

    explicit ModelInfoPanel(QWidget *parent = nullptr);

    void setModel(std::shared_ptr<const qb::GgufModel> model, const QString &path);
    void setImportanceSummary(const QString &text);
    QTreeWidget *tree() const { return m_tree; }
    // The summary field's text, e.g. field("Architecture").
    QString field(const QString &name) const;

  private:
    QLabel *addField(const QString &name);
    void fillArrayPage(QTreeWidgetItem *item);

    std::shared_ptr<const qb::GgufModel> m_model;
    QFormLayout *m_form;
    QTreeWidget *m_tree;
    QList<QPair<QString, QLabel *>> m_fields;
};

} // namespace qbui
