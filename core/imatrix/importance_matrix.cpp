#include "imatrix/importance_matrix.h"

#include "error.h"
#include "gguf/gguf_file.h"
#include "gguf/mapped_file.h"

#include <cmath>
#include <cstdio>
#include <optional>
#include <cstring>
#include <string_view>
#include <unordered_map>

namespace qb {
namespace {

// Why a value is refused, or nothing: importance values are mean squared activations, so a
// negative or non-finite one is a broken file. llama.cpp loads such files silently, but the
// quantizers' weighted searches (sum of w * error^2, minimised over scales) assume weights >= 0:
// a negative weight rewards error, and NaN or infinity poisons every scale of the row.
std::optional<std::string> refusedImportance(const std::string &entry, const std::vector<float> &values) {
    for (size_t i = 0; i < values.size(); ++i) {
        const float v = values[i];
        if (v >= 0.0f && std::isfinite(v)) continue;
        char text[48];
        std::snprintf(text, sizeof text, "%g", double(v));
        return "entry '" + entry + "' value " + std::to_string(i) + " is " + text +
               ": importance values are mean squared activations, never negative or non-finite, and the "
               "quantizers' weighted searches need non-negative finite weights (a negative weight rewards "
               "error, NaN or infinity spoils the whole row); llama.cpp accepts such a file silently, "
               "QuantBench refuses it";
    }
    return std::nullopt;
}

// Bounds-checked little-endian reads over the legacy .dat layout.
class DatReader {
public:
    DatReader(std::span<const uint8_t> bytes, const std::string &source) : m_bytes(bytes), m_source(source) {}

    [[noreturn]] void fail(uint64_t at, const std::string &what) const {
        throw Error(m_source + ": byte " + std::to_string(at) + ": " + what);
    }
    uint64_t pos() const { return m_pos; }
    uint64_t remaining() const { return m_bytes.size() - m_pos; }
    bool atEnd() const { return m_pos == m_bytes.size(); }

    int32_t readInt(const char *what) {
        if (remaining() < 4) fail(m_pos, std::string("file is truncated while reading ") + what);
        int32_t v;
        std::memcpy(&v, m_bytes.data() + m_pos, 4);
        m_pos += 4;
        return v;
    }
    std::string readBytes(uint64_t n, const char *what) {
        if (remaining() < n) fail(m_pos, std::string("file is truncated while reading ") + what);
        std::string s(reinterpret_cast<const char *>(m_bytes.data() + m_pos), size_t(n));
        m_pos += n;
        return s;
    }
    void skip(uint64_t n, const char *what) {
        if (remaining() < n) fail(m_pos, std::string("file is truncated while reading ") + what);
        m_pos += n;
    }
    void readFloats(float *dst, uint64_t n, const char *what) {
        if (remaining() / 4 < n) fail(m_pos, std::string("file is truncated while reading ") + what);
        std::memcpy(dst, m_bytes.data() + m_pos, size_t(n) * 4);
        m_pos += n * 4;
    }

private:
    std::span<const uint8_t> m_bytes;
    const std::string &m_source;
    uint64_t m_pos = 0;
};

// One legacy entry's header: name, call count and value count, checked against the file and the
// limits; leaves the reader at the entry's values.
struct DatEntry {
    uint64_t at = 0;      // where the entry starts
    uint64_t nvalAt = 0;  // where its value count is
    std::string name;
    int32_t ncall = 0;
    int32_t nval = 0;
};

DatEntry readEntryHeader(DatReader &in, int32_t i) {
    DatEntry e;
    e.at = in.pos();
    const int32_t nameLen = in.readInt("an entry name length");
    if (nameLen <= 0 || uint64_t(nameLen) > in.remaining())
        in.fail(e.at, "entry #" + std::to_string(i) + " has a name length of " + std::to_string(nameLen));
    if (nameLen > kMaxImatrixNameBytes)
        in.fail(e.at, "entry #" + std::to_string(i) + " has a name length of " + std::to_string(nameLen) +
                          ", more than " + std::to_string(kMaxImatrixNameBytes) + " bytes (tensor names have at most " +
                          std::to_string(kGgufMaxTensorName) + ")");
    e.name = in.readBytes(uint64_t(nameLen), "an entry name");
    e.ncall = in.readInt("a call count");
    e.nvalAt = in.pos();
    e.nval = in.readInt("a value count");
    if (e.nval <= 0 || uint64_t(e.nval) > in.remaining() / 4)
        in.fail(e.nvalAt, "entry '" + e.name + "' has a value count of " + std::to_string(e.nval));
    if (e.nval > kMaxImatrixEntryValues)
        in.fail(e.nvalAt, "entry '" + e.name + "' has a value count of " + std::to_string(e.nval) + ", more than the " +
                              std::to_string(kMaxImatrixEntryValues) + " any real tensor has");
    return e;
}

} // namespace

ImportanceMatrix ImportanceMatrix::parseLegacy(std::span<const uint8_t> bytes, const std::string &sourceName) {
    DatReader in(bytes, sourceName);
    ImportanceMatrix m;
    m.m_sourcePath = sourceName;
    const int32_t count = in.readInt("the entry count");
    // Each entry takes at least 4 + 1 + 4 + 4 bytes: a larger count cannot be real.
    if (count < 0 || uint64_t(count) > in.remaining() / 13)
        in.fail(0, "entry count " + std::to_string(count) + " is not possible in a file of this size");
    if (count > kMaxImatrixEntries)
        in.fail(0, "entry count " + std::to_string(count) + " is more than the " + std::to_string(kMaxImatrixEntries) +
                       " any model has weight matrices");
    // First pass over the headers only, allocating nothing for values: a sparse file may hold
    // many entries each within the per-entry limit that together would take gigabytes.
    {
        DatReader scan = in;
        int64_t total = 0;
        for (int32_t i = 0; i < count; ++i) {
            const DatEntry e = readEntryHeader(scan, i);
            total += e.nval;
            if (total > kMaxImatrixTotalValues)
                scan.fail(e.nvalAt, "entry '" + e.name + "' brings the matrix to more than " +
                                        std::to_string(kMaxImatrixTotalValues) +
                                        " values in all, more than any real model has");
            scan.skip(uint64_t(e.nval) * 4, "importance values");
        }
    }
    for (int32_t i = 0; i < count; ++i) {
        DatEntry e = readEntryHeader(in, i);
        std::vector<float> values(static_cast<size_t>(e.nval));
        in.readFloats(values.data(), uint64_t(e.nval), "importance values");
        if (e.ncall > 0)
            for (float &v : values) v /= float(e.ncall);
        if (const auto why = refusedImportance(e.name, values)) in.fail(e.nvalAt, *why);
        if (!m.m_entries.emplace(e.name, std::move(values)).second) in.fail(e.at, "duplicate entry '" + e.name + "'");
    }
    // The trailer (chunk count, dataset name) is optional in old files.
    if (!in.atEnd()) {
        m.m_chunkCount = in.readInt("the chunk count");
        if (!in.atEnd()) {
            const uint64_t at = in.pos();
            const int32_t len = in.readInt("the dataset name length");
            if (len < 0 || uint64_t(len) > in.remaining())
                in.fail(at, "dataset name length " + std::to_string(len) + " exceeds the file");
            // It is the calibration file's path as llama-imatrix was given it.
            if (len > kMaxImatrixDatasetNameBytes)
                in.fail(at, "dataset name length " + std::to_string(len) + " is more than " +
                                std::to_string(kMaxImatrixDatasetNameBytes) + " bytes");
            m.m_dataset = in.readBytes(uint64_t(len), "the dataset name");
        }
    }
    return m;
}

ImportanceMatrix ImportanceMatrix::parseGguf(std::span<const uint8_t> bytes, const std::string &sourceName) {
    const auto file = GgufFile::parse(bytes, sourceName);
    const auto kind = file->findString("general.type");
    if (kind != "imatrix")
        throw Error(sourceName + ": a GGUF file but not an importance matrix (general.type is '" + kind.value_or("") + "')");
    ImportanceMatrix m;
    m.m_sourcePath = sourceName;
    m.m_chunkCount = file->findInt("imatrix.chunk_count").value_or(0);
    if (const GgufValue *ds = file->find("imatrix.datasets"))
        if (const auto *arr = ds->array(); arr && !arr->items.empty() && arr->items.front().string())
            m.m_dataset = *arr->items.front().string();
    // By name, for the .counts partner of each .in_sum2: a linear findTensor per entry would be
    // quadratic in a hostile file of a million tensors.
    std::unordered_map<std::string_view, const GgufTensorInfo *> byName;
    byName.reserve(file->tensors().size());
    for (const auto &t : file->tensors()) byName.emplace(t.name, &t);
    constexpr std::string_view kSums = ".in_sum2";
    // First pass: pair each .in_sum2 with its .counts and check shapes and limits, so that nothing
    // is allocated for values until the whole file is known to fit.
    struct Pair {
        std::string name;
        const GgufTensorInfo *sums;
        const GgufTensorInfo *counts;
    };
    std::vector<Pair> pairs;
    int64_t total = 0;
    for (const auto &sums : file->tensors()) {
        if (sums.name.size() <= kSums.size() || sums.name.compare(sums.name.size() - kSums.size(), kSums.size(), kSums) != 0)
            continue;
        std::string name = sums.name.substr(0, sums.name.size() - kSums.size());
        // Where the entry's data lies, for messages about its size.
        const std::string where = sourceName + ": tensor '" + sums.name + "' (data at byte " +
                                  std::to_string(file->dataOffset() + sums.offset) + ")";
        if (int64_t(pairs.size()) >= kMaxImatrixEntries)
            throw Error(where + ": more than " + std::to_string(kMaxImatrixEntries) +
                        " entries, more than any model has weight matrices");
        const auto found = byName.find(name + ".counts");
        const GgufTensorInfo *counts = found == byName.end() ? nullptr : found->second;
        if (!counts) throw Error(sourceName + ": tensor " + sums.name + " has no matching " + name + ".counts");
        if (sums.type != GgmlType::F32 || counts->type != GgmlType::F32)
            throw Error(sourceName + ": importance tensors of " + name + " must be F32");
        const int64_t cols = sums.ne[0], mats = sums.ne[1];
        if (sums.nDims > 2 || counts->nDims > 2 || counts->ne[0] != 1 || counts->ne[1] != mats)
            throw Error(sourceName + ": tensors of " + name + " have inconsistent shapes (in_sum2 " + std::to_string(cols) +
                        " x " + std::to_string(mats) + ", counts " + std::to_string(counts->ne[0]) + " x " +
                        std::to_string(counts->ne[1]) + ")");
        if (cols * mats > kMaxImatrixEntryValues)
            throw Error(where + ": " + std::to_string(cols * mats) + " values, more than the " +
                        std::to_string(kMaxImatrixEntryValues) + " any real tensor has");
        total += cols * mats;
        if (total > kMaxImatrixTotalValues)
            throw Error(where + ": brings the matrix to more than " + std::to_string(kMaxImatrixTotalValues) +
                        " values in all, more than any real model has");
        pairs.push_back({std::move(name), &sums, counts});
    }
    for (const Pair &p : pairs) {
        const int64_t cols = p.sums->ne[0], mats = p.sums->ne[1];
        const auto sumData = file->tensorData(*p.sums);
        const auto countData = file->tensorData(*p.counts);
        std::vector<float> values(size_t(cols * mats));
        for (int64_t j = 0; j < mats; ++j) {
            float count;
            std::memcpy(&count, countData.data() + 4 * j, 4);
            for (int64_t i = 0; i < cols; ++i) {
                float sum;
                std::memcpy(&sum, sumData.data() + 4 * (j * cols + i), 4);
                // A matrix that never saw input during calibration gets neutral weights (llama.cpp).
                values[size_t(j * cols + i)] = count > 0.0f ? sum / count : 1.0f;
            }
        }
        if (const auto why = refusedImportance(p.name, values)) throw Error(sourceName + ": " + *why);
        m.m_entries.emplace(p.name, std::move(values));
    }
    return m;
}

ImportanceMatrix ImportanceMatrix::load(const std::filesystem::path &path) {
    MappedFile file(path);
    const auto bytes = file.bytes();
    if (bytes.size() >= 4 && std::memcmp(bytes.data(), "GGUF", 4) == 0) return parseGguf(bytes, path.string());
    return parseLegacy(bytes, path.string());
}

ImportanceMatrix ImportanceMatrix::filtered(const std::function<bool(const std::string &)> &keep) const {
    ImportanceMatrix m;
    m.m_sourcePath = m_sourcePath;
    m.m_dataset = m_dataset;
    m.m_chunkCount = m_chunkCount;
    for (const auto &[name, values] : m_entries)
        if (keep(name)) m.m_entries.emplace(name, values);
    return m;
}

const std::vector<float> *ImportanceMatrix::find(const std::string &tensorName) const {
    auto it = m_entries.find(tensorName);
    return it == m_entries.end() ? nullptr : &it->second;
}

} // namespace qb
