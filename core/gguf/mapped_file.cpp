#include "gguf/mapped_file.h"

#include "error.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace qb {

MappedFile::MappedFile(const std::filesystem::path &path) : m_path(path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(path.string() + ": cannot open: " + std::strerror(errno));
    m_fd = fd;
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        throw Error(path.string() + ": cannot stat: " + std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(path.string() + ": not a regular file");
    }
    m_size = size_t(st.st_size);
    if (m_size > 0) {
        void *p = ::mmap(nullptr, m_size, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            throw Error(path.string() + ": cannot map into memory: " + std::strerror(err));
        }
        m_data = static_cast<const uint8_t *>(p);
    }
    // The descriptor is kept (not needed for the mapping) so currentSize() sees the mapped file.
}

MappedFile::~MappedFile() {
    if (m_data) ::munmap(const_cast<uint8_t *>(m_data), m_size);
    if (m_fd >= 0) ::close(m_fd);
}

void MappedFile::release(uint64_t offset, uint64_t size) const {
    if (!m_data || size == 0 || offset >= m_size) return;
    static const uint64_t page = uint64_t(::sysconf(_SC_PAGESIZE));
    const uint64_t begin = offset / page * page;
    const uint64_t end = std::min<uint64_t>(m_size, offset + std::min<uint64_t>(size, m_size - offset));
    // MADV_DONTNEED on a read-only shared file mapping only unmaps the pages: nothing is lost.
    ::madvise(const_cast<uint8_t *>(m_data) + begin, size_t(end - begin), MADV_DONTNEED);
    // The page cache is left alone: it is not this process's memory, the kernel reclaims it under
    // pressure, and a second run over the same model (another label) finds it still there.
}

uint64_t MappedFile::currentSize() const {
    struct stat st {};
    if (::fstat(m_fd, &st) != 0)
        throw Error(m_path.string() + ": cannot stat: " + std::strerror(errno), ErrorKind::Runtime);
    return uint64_t(st.st_size);
}

} // namespace qb
