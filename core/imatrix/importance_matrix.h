// Importance matrices as llama-imatrix writes them: per weight tensor, one non-negative
// weight per input column (per expert for 3-D tensors), already divided by the call count.
//
// Contract: load() reads the legacy .dat format (see ../shared/golden/README.md) or the newer
// GGUF format (general.type = "imatrix", per tensor <name>.in_sum2 and <name>.counts), chosen
// by the file's magic. Every count and length is checked against the bytes that remain; a
// defect throws qb::Error naming the file, the byte offset (or tensor) and the entry. Values are
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
