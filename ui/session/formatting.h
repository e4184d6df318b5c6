// How numbers are shown to people across the window: sizes, counts, shapes, errors.
#pragma once

#include "gguf/gguf_file.h"

#include <QString>

namespace qbui {

QString formatBytes(uint64_t bytes);                 // "1.23 GB", "512 KB" (decimal units, as file managers show)
QString formatCount(uint64_t count);                 // "6.74 B", "12.3 M", "4,096"
QString formatShape(const qb::GgufTensorInfo &info); // "4096 × 11008"
QString formatRelative(double relativeRmse);         // "1.234 %"
QString typeLabel(qb::GgmlType type);                // ggml's name in upper case, as labels spell it: "Q4_K", "F16"
// Layer of a tensor named blk.N.…, or -1 for tensors outside the repeated blocks.
int layerOf(const std::string &tensorName);

} // namespace qbui
