#include "imatrix/importance_matrix.h"

#include "error.h"
#include "gguf/gguf_file.h"
#include "gguf/mapped_file.h"

#include <cmath>
#include <cstring>

namespace qb {
namespace {

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

} // namespace

ImportanceMatrix ImportanceMatrix::parseLegacy(std::span<const uint8_t> bytes, const std::string &sourceName) {
    DatReader in(bytes, sourceName);
    ImportanceMatrix m;
    m.m_sourcePath = sourceName;
    const int32_t count = in.readInt("the entry count");
    // Each entry takes at least 4 + 1 + 4 + 4 bytes: a larger count cannot be real.
    if (count < 0 || uint64_t(count) > in.remaining() / 13)
        in.fail(0, "entry count " + std::to_string(count) + " is not possible in a file of this size");
    for (int32_t i = 0; i < count; ++i) {
        const uint64_t at = in.pos();
        const int32_t nameLen = in.readInt("an entry name length");
        if (nameLen <= 0 || uint64_t(nameLen) > in.remaining())
            in.fail(at, "entry #" + std::to_string(i) + " has a name length of " + std::to_string(nameLen));
        std::string name = in.readBytes(uint64_t(nameLen), "an entry name");
        const int32_t ncall = in.readInt("a call count");
        const uint64_t nvalAt = in.pos();
        const int32_t nval = in.readInt("a value count");
        if (nval <= 0 || uint64_t(nval) > in.remaining() / 4)
            in.fail(nvalAt, "entry '" + name + "' has a value count of " + std::to_string(nval));
        std::vector<float> values(static_cast<size_t>(nval));
        in.readFloats(values.data(), uint64_t(nval), "importance values");
        if (ncall > 0)
            for (float &v : values) v /= float(ncall);
        for (float v : values)
            if (!(v >= 0.0f) || !std::isfinite(v))
                in.fail(nvalAt, "entry '" + name + "' holds a negative or non-finite importance value");
        if (!m.m_entries.emplace(name, std::move(values)).second) in.fail(at, "duplicate entry '" + name + "'");
    }
    // The trailer (chunk count, dataset name) is optional in old files.
    if (!in.atEnd()) {
        m.m_chunkCount = in.readInt("the chunk count");
        if (!in.atEnd()) {
            const uint64_t at = in.pos();
            const int32_t len = in.readInt("the dataset name length");
            if (len < 0 || uint64_t(len) > in.remaining())
                in.fail(at, "dataset name length " + std::to_string(len) + " exceeds the file");
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
    constexpr std::string_view kSums = ".in_sum2";
    for (const auto &sums : file->tensors()) {
        if (sums.name.size() <= kSums.size() || sums.name.compare(sums.name.size() - kSums.size(), kSums.size(), kSums) != 0)
            continue;
        const std::string name = sums.name.substr(0, sums.name.size() - kSums.size());
        const GgufTensorInfo *counts = file->findTensor(name + ".counts");
        if (!counts) throw Error(sourceName + ": tensor " + sums.name + " has no matching " + name + ".counts");
        if (sums.type != GgmlType::F32 || counts->type != GgmlType::F32)
            throw Error(sourceName + ": importance tensors of " + name + " must be F32");
        const int64_t cols = sums.ne[0], mats = sums.ne[1];
        if (sums.nDims > 2 || counts->nDims > 2 || counts->ne[0] != 1 || counts->ne[1] != mats)
            throw Error(sourceName + ": tensors of " + name + " have inconsistent shapes (in_sum2 " + std::to_string(cols) +
                        " x " + std::to_string(mats) + ", counts " + std::to_string(counts->ne[0]) + " x " +
                        std::to_string(counts->ne[1]) + ")");
        const auto sumData = file->tensorData(sums);
        const auto countData = file->tensorData(*counts);
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
        for (float v : values)
            if (!(v >= 0.0f) || !std::isfinite(v))
                throw Error(sourceName + ": entry '" + name + "' holds a negative or non-finite importance value");
        m.m_entries.emplace(name, std::move(values));
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
