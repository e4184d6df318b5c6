// Reading small text files (presets, --tensor-type-file) that may be anything: a pipe that never
// ends (`--preset <(yes)`), /dev/zero, a sparse file of terabytes. The size a seek reports is
// no bound for those (-1 for a pipe, 0 for /dev/zero), so the bound is on the bytes read.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace qb {

// The whole content of path, reading at most maxBytes + 1 bytes. Throws qb::Error (BadInput)
// with tooLarge as the message once the content exceeds maxBytes, with cannotOpen if the file
// cannot be opened, and with cannotOpen + " (read error)" if reading fails.
std::string readBoundedFile(const std::filesystem::path &path, size_t maxBytes, const std::string &cannotOpen,
                            const std::string &tooLarge);

} // namespace qb
