// Where the quantize dialogs propose to write: the folder the user last wrote to from that dialog
// (remembered in QSettings, used while it still exists), or else the input model's folder.
// Always absolute, so the path never depends on the directory the program was started from.
#pragma once

#include <QString>

namespace qbui {

// The settings keys of the two dialogs' remembered folders.
inline constexpr const char *kQuantizeFolderKey = "quantize/lastFolder";
inline constexpr const char *kQuantizeCheckedFolderKey = "quantizeChecked/lastFolder";

// The remembered folder under key if it exists, else the absolute folder of inputPath.
QString defaultOutputFolder(const char *key, const QString &inputPath);
// defaultOutputFolder/<model>.<label>.gguf, model being the input's file name without ".gguf".
QString defaultOutputPath(const char *key, const QString &inputPath, const QString &label);
// Remembers the absolute form of folder under key.
void rememberOutputFolder(const char *key, const QString &folder);

} // namespace qbui
