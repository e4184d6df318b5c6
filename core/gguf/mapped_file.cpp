#include "gguf/mapped_file.h"

#include "error.h"

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

uint64_t MappedFile::currentSize() const {
    struct stat st {};
    if (::fstat(m_fd, &st) != 0)
        throw Error(m_path.string() + ": cannot stat: " + std::strerror(errno), ErrorKind::Runtime);
    return uint64_t(st.st_size);
}

} // namespace qb
