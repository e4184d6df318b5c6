// A dismissable banner above the work area that says what went wrong, without a modal dialog
// that would stop the user (or a test) in its tracks. Details go into the tooltip.
#pragma once

#include <QFrame>

class QLabel;

namespace qbui {

class ErrorBanner final : public QFrame {
    Q_OBJECT
  public:
    explicit ErrorBanner(QWidget *parent = nullptr);
    void showError(const QString &what, const QString &details);
    void showInfo(const QString &text);
    QString text() const;

  private:
    QLabel *m_text;
};

} // namespace qbui
