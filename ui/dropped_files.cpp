#include "dropped_files.h"

#include <QFileInfo>

namespace qbui {

bool isImportanceMatrixFile(const QString &path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    return suffix == QLatin1String("dat") || suffix == QLatin1String("imatrix");
}

DroppedFiles classifyDroppedUrls(const QList<QUrl> &urls) {
    DroppedFiles files;
    for (const QUrl &url : urls) {
        if (!url.isLocalFile()) continue;
        const QString path = url.toLocalFile();
        if (QFileInfo(path).suffix().compare(QLatin1String("gguf"), Qt::CaseInsensitive) == 0)
            files.models.append(path);
        else if (isImportanceMatrixFile(path))
            files.matrices.append(path);
    }
    return files;
}

} // namespace qbui
