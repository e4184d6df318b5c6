#include "gguf/output_file.h"

#include "error.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <regex>
#include <signal.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace qb {

namespace fs = std::filesystem;

namespace {

constexpr const char *kTempSuffix = ".partial";
constexpr size_t kTempSuffixLength = 8;

// The process umask without changing it (umask() itself is racy with other threads).
mode_t currentUmask() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("Umask:", 0) == 0) return mode_t(std::strtoul(line.c_str() + 6, nullptr, 8));
    return 022;
}

bool envFlag(const char *name) {
    const char *v = std::getenv(name);
    return v && *v && std::strcmp(v, "0") != 0;
}

// ".<target>.qbtmp-<pid>-" : the part of a temporary name before its random letters.
std::string hiddenPrefix(const fs::path &target) {
    return "." + target.filename().string() + ".qbtmp-" + std::to_string(::getpid()) + "-";
}

void syncFolder(const fs::path &folder) {
    const int dirFd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
}

} // namespace

void OutputFile::create(const fs::path &target) {
    m_target = target;
    m_folder = outputFolder(target);
    // An unnamed file in the target's folder (so the final rename stays on one file system).
    if (!envFlag("QB_TEST_NO_O_TMPFILE")) {
        const int fd = ::open(m_folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);  // umask applies
        if (fd >= 0) {
            m_fd = fd;
            m_unnamed = true;
            return;
        }
        // Not supported by this kernel or file system: fall back to a hidden name. Other errors
        // (a missing folder, no permission) are the same for both ways and reported below.
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOTSUP) {
            const int err = errno;
            throw Error("cannot create a temporary file in '" + m_folder.string() + "' for '" + target.string() +
                            "': " + std::strerror(err),
                        err == ENOENT || err == ENOTDIR ? ErrorKind::BadInput : ErrorKind::Runtime);
        }
    }
    std::string pattern = (m_folder / (hiddenPrefix(target) + "XXXXXX" + kTempSuffix)).string();
    const int fd = ::mkostemps(pattern.data(), int(kTempSuffixLength), O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        throw Error("cannot create a temporary file in '" + m_folder.string() + "' for '" + target.string() +
                        "': " + std::strerror(err),
                    err == ENOENT || err == ENOTDIR ? ErrorKind::BadInput : ErrorKind::Runtime);
    }
    m_fd = fd;
    m_tempPath = pattern;
    // mkstemp creates 0600; a finished model should get the permissions a plain create gives.
    ::fchmod(fd, 0666 & ~currentUmask());
}

int OutputFile::commit(std::string &step) {
    step = "syncing to disk";
    if (::fsync(m_fd) != 0) return errno;
    if (m_unnamed) {
        // linkat cannot replace an existing file, so the unnamed file gets a hidden name first and
        // is then renamed over the target. A kill between the two leaves that hidden name, which
        // the next run removes (removeStaleTemporaries).
        step = "naming the temporary file";
        static thread_local std::mt19937 rng{std::random_device{}()};
        const std::string procPath = "/proc/self/fd/" + std::to_string(m_fd);
        for (int attempt = 0;; ++attempt) {
            char letters[7];
            for (int i = 0; i < 6; ++i) letters[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[rng() % 36];
            letters[6] = 0;
            const fs::path name = m_folder / (hiddenPrefix(m_target) + letters + kTempSuffix);
            if (::linkat(AT_FDCWD, procPath.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
                m_tempPath = name;
                break;
            }
            if (errno != EEXIST || attempt > 100) return errno;
        }
    }
    step = "closing";
    const int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0) return errno;
    step = "renaming the temporary file";
    if (::rename(m_tempPath.c_str(), m_target.c_str()) != 0) return errno;
    m_tempPath.clear();
    // Make the new name durable; a failure here leaves a complete file, so it is not an error.
    syncFolder(m_folder);
    return 0;
}

void writeTextFileAtomically(const fs::path &target, const std::string &text, const std::string &what) {
    OutputFile out;
    out.create(target);
    auto fail = [&](int err, const std::string &step) {
        throw Error("cannot write " + what + " '" + target.string() + "' (" + step + "): " + std::strerror(err),
                    ErrorKind::Runtime);
    };
    for (size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(out.fd(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail(n < 0 ? errno : EIO, "writing");
        done += size_t(n);
    }
    std::string step;
    if (const int err = out.commit(step)) fail(err, step);
}

void OutputFile::discard() noexcept {
    if (m_fd >= 0) ::close(m_fd);  // an unnamed file disappears with its last descriptor
    m_fd = -1;
    if (!m_tempPath.empty()) ::unlink(m_tempPath.c_str());
    m_tempPath.clear();
}

std::vector<fs::path> removeStaleTemporaries(const fs::path &folder) {
    static const std::regex name(R"(^\..+\.qbtmp-([0-9]{1,10})-[A-Za-z0-9]{6}\.partial$)");
    std::vector<fs::path> removed;
    std::error_code ec;
    for (fs::directory_iterator it(folder.empty() ? fs::path(".") : folder, ec), end; !ec && it != end;
         it.increment(ec)) {
        const std::string file = it->path().filename().string();
        std::smatch m;
        if (file.size() > 400 || !std::regex_match(file, m, name)) continue;
        if (!it->is_regular_file(ec) || ec) continue;
        const long pid = std::strtol(m[1].str().c_str(), nullptr, 10);
        // A writer that is still running (this process or another) keeps its file.
        if (pid <= 0 || pid == long(::getpid()) || ::kill(pid_t(pid), 0) == 0 || errno == EPERM) continue;
        if (::unlink(it->path().c_str()) == 0) removed.push_back(it->path());
    }
    return removed;
}

fs::path outputFolder(const fs::path &target) {
    return target.has_parent_path() ? target.parent_path() : fs::path(".");
}

std::string formatSize(uint64_t bytes) {
    char text[64];
    if (bytes >= 1000000000ull) std::snprintf(text, sizeof text, "%.1f GB", double(bytes) / 1e9);
    else if (bytes >= 1000000ull) std::snprintf(text, sizeof text, "%.1f MB", double(bytes) / 1e6);
    else std::snprintf(text, sizeof text, "%llu bytes", (unsigned long long)bytes);
    return text;
}

void checkFreeSpace(const fs::path &folder, uint64_t needed, const fs::path &target) {
    uint64_t available = 0;
    if (const char *hook = std::getenv("QB_TEST_FREE_BYTES"); hook && *hook) {
        available = std::strtoull(hook, nullptr, 10);
    } else {
        struct statvfs st {};
        if (::statvfs(folder.c_str(), &st) != 0) return;  // unknown: the writes will tell
        available = uint64_t(st.f_bavail) * uint64_t(st.f_frsize);
    }
    if (available >= needed) return;
    std::string sizes = formatSize(needed) + ", only " + formatSize(available) + " free";
    if (formatSize(needed) == formatSize(available))  // rounding hid the difference
        sizes = std::to_string(needed) + " bytes, only " + std::to_string(available) + " free";
    throw Error("cannot write '" + target.string() + "': it needs " + sizes + " in '" +
                    fs::absolute(folder).lexically_normal().string() + "'",
                ErrorKind::Runtime);
}

} // namespace qb
