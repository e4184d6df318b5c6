// RLIMIT_FSIZE for a scope, with SIGXFSZ ignored so that write() fails with EFBIG instead of the
// signal killing the process: exactly what a full disk looks like to the writer (a short or
// failed write). Process-wide, so a test holds it only around the call that writes.
#pragma once

#include <csignal>
#include <sys/resource.h>

namespace qbtest {

class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        m_oldHandler = std::signal(SIGXFSZ, SIG_IGN);
        getrlimit(RLIMIT_FSIZE, &m_saved);
        rlimit limit = m_saved;
        limit.rlim_cur = bytes;
        setrlimit(RLIMIT_FSIZE, &limit);
    }
    ~FileSizeLimit() {
        setrlimit(RLIMIT_FSIZE, &m_saved);
        std::signal(SIGXFSZ, m_oldHandler);
    }
    FileSizeLimit(const FileSizeLimit &) = delete;
    FileSizeLimit &operator=(const FileSizeLimit &) = delete;

private:
    rlimit m_saved{};
    void (*m_oldHandler)(int) = nullptr;
};

} // namespace qbtest
