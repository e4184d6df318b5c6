#include "page_layout.h"

#include <QHBoxLayout>
#include <QVBoxLayout>
#include <QWidget>

namespace qbui {

void layOutJobPage(QWidget *page, QHBoxLayout *controls, QWidget *status, QWidget *progress, QWidget *cancel,
                   QWidget *body) {
    controls->addSpacing(12);
    controls->addWidget(status, 1);
    controls->addWidget(progress);
    controls->addWidget(cancel);
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(controls);
    layout->addWidget(body, 1);
}

QHBoxLayout *quantizeButtonRow(QWidget *left, QWidget *start, QWidget *cancel, QWidget *close) {
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(left);
    buttons->addStretch(1);
    buttons->addWidget(start);
    buttons->addWidget(cancel);
    buttons->addWidget(close);
    return buttons;
}

} // namespace qbui
