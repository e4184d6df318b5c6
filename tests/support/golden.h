// Access to ../shared/golden for tests: paths, raw files, and tensors of the golden models.
#pragma once

#include "gguf/gguf_file.h"

#include <QString>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace qbtest {

// Absolute path of a file under the golden folder, e.g. golden("models/tiny.f16.gguf").
std::filesystem::path golden(const std::string &relative);

// Whole file as bytes; fails the calling test (QFAIL semantics via exception) if unreadable.
std::vector<uint8_t> readAll(const std::filesystem::path &path);

// A tensor of a GGUF file decoded to F32 (F32/F16/BF16 sources).
std::vector<float> tensorAsF32(const qb::GgufFile &file, const std::string &name);

// Hex sha256 of bytes (for the golden manifests).
QString sha256Hex(const void *data, size_t size);

} // namespace qbtest
