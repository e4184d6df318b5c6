// What a drop on the window opens: local .gguf models (the first; one model at a time) and
// importance matrices (.dat, .imatrix). Anything else (web URLs, other files) is not accepted, so
// the cursor says "no" before the drop.
#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

namespace qbui {

struct DroppedFiles {
    QStringList models;   // local .gguf files, in drop order
    QStringList matrices; // local importance matrices, in drop order
    bool empty() const { return models.isEmpty() && matrices.isEmpty(); }
};

DroppedFiles classifyDroppedUrls(const QList<QUrl> &urls);
bool isImportanceMatrixFile(const QString &path);

} // namespace qbui
