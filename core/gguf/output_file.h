// The file a writer fills before it is given its final name, so that a crash, kill -9 or power
// loss never leaves a half-written model under a name a user would see or load.
//
// Contract:
// - create() opens an unnamed file in the target's folder (O_TMPFILE) where the file system
//   supports it: until commit() it has no name at all, and the kernel frees it when the process
//   dies. Elsewhere it falls back to a hidden name ".<target>.qbtmp-<pid>-XXXXXX.partial", which
//   removeStaleTemporaries() deletes in a later run once process <pid> is gone.
// - commit() fsyncs the data, gives it a hidden name (linkat of the unnamed file), renames that
//   over the target (atomic: the target is the old file or the complete new one, never a mix) and
//   fsyncs the folder, so the name that appears after a power loss holds the whole file.
// - discard() (and the destructor without commit) leaves nothing.
// - checkFreeSpace() refuses at once (qb::Error, Runtime) when the folder's file system has fewer
//   free bytes than needed, with both numbers and the folder.
// Test hooks (environment): QB_TEST_NO_O_TMPFILE=1 forces the hidden-name fallback;
// QB_TEST_FREE_BYTES=N replaces the free space statvfs reports.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace qb {

class OutputFile {
public:
    OutputFile() = default;
    ~OutputFile() { discard(); }
    OutputFile(const OutputFile &) = delete;
    OutputFile &operator=(const OutputFile &) = delete;

    // Throws qb::Error naming the folder (BadInput when the folder does not exist).
    void create(const std::filesystem::path &target);
    int fd() const { return m_fd; }
    bool unnamed() const { return m_unnamed; }
    // The hidden name while writing in fallback mode (empty for an unnamed file).
    const std::filesystem::path &temporaryPath() const { return m_tempPath; }

    // Returns 0 or the errno of the failing step; `step` says which ("syncing to disk", ...).
    int commit(std::string &step);
    void discard() noexcept;

private:
    std::filesystem::path m_target;
    std::filesystem::path m_folder;
    std::filesystem::path m_tempPath;
    int m_fd = -1;
    bool m_unnamed = false;
};

// A small text file (preset, tensor-type list, calibration) written through an OutputFile, so it
// appears whole under its name or not at all. Throws qb::Error (Runtime; BadInput for a missing
// folder) naming `what` and the target.
void writeTextFileAtomically(const std::filesystem::path &target, const std::string &text, const std::string &what);

// Hidden temporaries of our own writers left in `folder` by a run that was killed (the process
// named in the file name no longer exists): removed, and their paths returned for a message.
// Files of a writer still running are left alone. Never throws.
std::vector<std::filesystem::path> removeStaleTemporaries(const std::filesystem::path &folder);

// Refuses (qb::Error, Runtime) when `folder` has fewer than `needed` bytes free for an
// unprivileged user: "cannot write 'T': it needs 4.6 GB, only 3.1 GB is free in '/data'".
void checkFreeSpace(const std::filesystem::path &folder, uint64_t needed, const std::filesystem::path &target);

// The folder a target is written in ("." for a bare file name).
std::filesystem::path outputFolder(const std::filesystem::path &target);

// "4.6 GB", "310.2 MB", "512 bytes" (decimal units, as file managers show sizes).
std::string formatSize(uint64_t bytes);

} // namespace qb
