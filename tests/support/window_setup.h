// Set-up the GUI tests (tests/ui) share: settings kept apart from the user's, and a golden model
// opened in a MainWindow. Header-only: qbtestsupport links no GUI library.
#pragma once

#include "golden.h"
#include "main_window.h"
#include "model_session.h"

#include <QCoreApplication>
#include <QDebug>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QString>

namespace qbtest {

// QSettings go to a test location under the tests' organisation. With an application name, the
// test's own settings also start empty.
inline void useTestSettings(const QString &application = {}) {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("QuantBenchTests"));
    if (application.isEmpty()) return;
    QCoreApplication::setApplicationName(application);
    QSettings().clear();
}

inline QString goldenPath(const char *relative) { return QString::fromStdString(golden(relative).string()); }

// Opens `path` and waits for the model to be ready; false (with the session's failure, if any,
// in the log) when it was not within the time.
inline bool openAndWait(qbui::MainWindow &window, const QString &path, int timeoutMs = 20000) {
    QSignalSpy ready(&window, &qbui::MainWindow::modelReady);
    QSignalSpy failed(window.session(), &qbui::ModelSession::failed);
    window.openPath(path);
    if (ready.wait(timeoutMs)) return true;
    qWarning() << "open failed:" << failed;
    return false;
}

} // namespace qbtest
