// A read-only memory mapping of a whole file.
//
// Contract: opening costs O(1) in the file size (a 100 GB model maps instantly); pages are
// read on first touch. Throws qb::Error naming the path on failure.
// A file truncated by someone else after opening makes touching the lost pages raise SIGBUS
// (the kernel cannot fail a plain memory read any other way). The descriptor stays open so
// currentSize() can tell, before a range is touched, whether it still exists on disk; callers
// check with it and turn a shrunken file into a qb::Error instead of a crash.
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
    // The file's size on disk now (fstat of the open descriptor: a rename or a replacement of
    // the path does not matter, only the file that is mapped).
    uint64_t currentSize() const;
    // Drops the pages of [offset, offset + size) from this process's resident memory (they are
    // read again from the file if touched later), so reading a model much larger than RAM does not
    // show the whole file as used memory. The range is widened to whole pages: a neighbouring
    // tensor's shared page is simply read again. Advice only: errors are ignored.
    void release(uint64_t offset, uint64_t size) const;

private:
    std::filesystem::path m_path;
    const uint8_t *m_data = nullptr;
    size_t m_size = 0;
    int m_fd = -1;
};

} // namespace qb
