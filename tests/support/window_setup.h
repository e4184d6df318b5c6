// Set-up the GUI tests (tests/ui) share: settings kept apart from the user's, a golden or demo model
// opened in a MainWindow, a page's tab brought to the front. Header-only: qbtestsupport links no
// GUI library.
#pragma once

#include "demo/demo_model.h"
#include "golden.h"
#include "main_window.h"
#include "model_session.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QDebug>
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QString>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

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

// Writes the default demo model into `dir` as demo.gguf and returns its path.
inline QString writeDemoModelIn(const QTemporaryDir &dir) {
    const QString path = dir.filePath(QStringLiteral("demo.gguf"));
    qb::writeDemoModel(path.toStdString());
    return path;
}

// Writes `bytes` to `path` (replacing it); false when the file could not be written.
inline bool writeFile(const QString &path, const QByteArray &bytes) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

// Shows the main window at the size the page tests lay out for.
inline void showLarge(qbui::MainWindow &window) {
    window.resize(1400, 900);
    window.show();
}

// Brings the tab holding a widget to the front (a hidden page is not laid out: its plot has no size).
inline void showPageOf(QWidget *widget) {
    for (QWidget *w = widget; w && w->parentWidget(); w = w->parentWidget())
        for (QWidget *p = w->parentWidget(); p; p = p->parentWidget())
            if (auto *tabs = qobject_cast<QTabWidget *>(p); tabs && tabs->indexOf(w) >= 0) {
                tabs->setCurrentWidget(w);
                QTest::qWait(50);
                return;
            }
}

} // namespace qbtest
