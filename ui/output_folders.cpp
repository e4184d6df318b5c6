#include "output_folders.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>

namespace qbui {

QString defaultOutputFolder(const char *key, const QString &inputPath) {
    const QString remembered = QSettings().value(QLatin1String(key)).toString();
    if (!remembered.isEmpty() && QFileInfo(remembered).isDir()) return QFileInfo(remembered).absoluteFilePath();
    return QFileInfo(inputPath).absolutePath();
}

QString defaultOutputPath(const char *key, const QString &inputPath, const QString &label) {
    QString model = QFileInfo(inputPath).fileName();
    if (model.endsWith(QLatin1String(".gguf"), Qt::CaseInsensitive)) model.chop(5);
    return QDir(defaultOutputFolder(key, inputPath))
        .filePath(model + QLatin1Char('.') + label + QStringLiteral(".gguf"));
}

void rememberOutputFolder(const char *key, const QString &folder) {
    if (folder.isEmpty()) return;
    QSettings().setValue(QLatin1String(key), QFileInfo(folder).absoluteFilePath());
}

} // namespace qbui
