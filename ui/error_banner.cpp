#include "error_banner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>

namespace qbui {

ErrorBanner::ErrorBanner(QWidget *parent) : QFrame(parent), m_text(new QLabel(this)) {
    setObjectName(QStringLiteral("errorBanner"));
    setFrameShape(QFrame::StyledPanel);
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *close = new QToolButton(this);
    close->setText(QStringLiteral("✕"));
    close->setAutoRaise(true);
    close->setToolTip(tr("Dismiss"));
    connect(close, &QToolButton::clicked, this, &QWidget::hide);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 6, 6);
    layout->addWidget(m_text, 1);
    layout->addWidget(close, 0, Qt::AlignTop);
    hide();
}

void ErrorBanner::showError(const QString &what, const QString &details) {
    setStyleSheet(QStringLiteral("#errorBanner { background: #fde2e1; border: 1px solid #e0a09c; border-radius: 4px; }"
                                 "QLabel { color: #5c1a16; }"));
    m_text->setText(QStringLiteral("<b>%1</b><br>%2").arg(what.toHtmlEscaped(), details.toHtmlEscaped()));
    show();
}

void ErrorBanner::showInfo(const QString &text) {
    setStyleSheet(QStringLiteral("#errorBanner { background: #e3effc; border: 1px solid #9dbde6; border-radius: 4px; }"
                                 "QLabel { color: #14325c; }"));
    m_text->setText(text.toHtmlEscaped());
    show();
}

QString ErrorBanner::text() const { return isHidden() ? QString() : m_text->text(); }

} // namespace qbui
