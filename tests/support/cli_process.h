// quantbench-cli run as a process from a Qt Test: the executable is looked up next to the test
// (both are built into the same bin folder; tests/CMakeLists.txt adds the dependency).
#pragma once

#include <QCoreApplication>
#include <QFileInfo>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <stdexcept>

namespace qbtest {

struct CliRun {
    int exitCode = -1;  // -1 when the process crashed or did not finish within a minute
    QString out;
    QString err;
};

inline CliRun runCli(const QStringList &args) {
    const QString cli = QCoreApplication::applicationDirPath() + QStringLiteral("/quantbench-cli");
    if (!QFileInfo::exists(cli)) throw std::runtime_error("quantbench-cli is not built next to the test");
    QProcess p;
    p.start(cli, args);
    p.waitForFinished(60000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

} // namespace qbtest
