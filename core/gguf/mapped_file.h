// A read-only memory mapping of a whole file.
//
// Contract: opening costs O(1) in the file size (a 100 GB model maps instantly); pages are
// read on first touch. Throws qb::Error naming the path on failure.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

namespace qb {

class MappedFile {
public:
    explicit MappedFile(const std::filesystem::path &path);
    ~MappedFile();
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    std::span<const uint8_t> bytes() const { return {m_data, m_size}; }
    const std::filesystem::path &path() const { return m_path; }

private:
    std::filesystem::path m_path;
    const uint8_t *m_data = nullptr;
    size_t m_size = 0;
};

} // namespace qb
