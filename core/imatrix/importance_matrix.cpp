#include "imatrix/importance_matrix.h"

#include "error.h"
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

ImportanceMatrix ImportanceMatrix::load(const std::filesystem::path &path) {
    MappedFile file(path);
    return parseLegacy(file.bytes(), path.string());
}

const std::vector<float> *ImportanceMatrix::find(const std::string &tensorName) const {
    auto it = m_entries.find(tensorName);
    return it == m_entries.end() ? nullptr : &it->second;
}

} // namespace qb
