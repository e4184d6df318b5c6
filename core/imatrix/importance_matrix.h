// Importance matrices as llama-imatrix writes them: per weight tensor, one non-negative
// weight per input column (per expert for 3-D tensors), already divided by the call count.
//
// Contract: load() reads the legacy .dat format (see ../shared/golden/README.md) or the newer
// GGUF format (general.type = "imatrix", per tensor <name>.in_sum2 and <name>.counts), chosen
// by the file's magic. Every count and length is checked against the bytes that remain and the
// limits below; a defect throws qb::Error naming the file, the byte offset (or tensor) and the entry. Values are
// exactly llama-quantize's: value / ncall (legacy) or in_sum2 / counts (GGUF) in float.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace qb {

// Limits on what a file may make us allocate, far above any real importance matrix. Counts are
// already bounded by the file's size, but a sparse file of gigabytes costs no disk. The largest
// real entries are the expert tensors of MoE models, ne[0] * n_expert values: 7168 * 256 = 1.8 M
// for DeepSeek V3, 7168 * 384 = 2.8 M for Kimi K2, whose whole matrix holds about 380 M values
// (1.5 GiB) in some 600 entries; the longest name is a ggml tensor name (at most 63 bytes).
inline constexpr int64_t kMaxImatrixEntryValues = int64_t(1) << 25;  // 32 Mi values, 128 MiB
inline constexpr int64_t kMaxImatrixTotalValues = int64_t(1) << 29;  // 512 Mi values, 2 GiB
inline constexpr int64_t kMaxImatrixEntries = 65536;
inline constexpr int64_t kMaxImatrixNameBytes = 1024;
inline constexpr int64_t kMaxImatrixDatasetNameBytes = 64 * 1024;  // a file path

class ImportanceMatrix {
public:
    static ImportanceMatrix load(const std::filesystem::path &path);
    static ImportanceMatrix parseLegacy(std::span<const uint8_t> bytes, const std::string &sourceName);
    static ImportanceMatrix parseGguf(std::span<const uint8_t> bytes, const std::string &sourceName);

    // A copy holding only the entries whose name `keep` accepts (dataset and chunks kept).
    ImportanceMatrix filtered(const std::function<bool(const std::string &)> &keep) const;

    // Weights for a tensor, or nullptr if the matrix has no entry for it.
    const std::vector<float> *find(const std::string &tensorName) const;

    const std::map<std::string, std::vector<float>> &entries() const { return m_entries; }
    const std::string &sourcePath() const { return m_sourcePath; }
    const std::string &dataset() const { return m_dataset; }
    int64_t chunkCount() const { return m_chunkCount; }

private:
    std::map<std::string, std::vector<float>> m_entries;
    std::string m_sourcePath;
    std::string m_dataset;
    int64_t m_chunkCount = 0;
};

} // namespace qb
