#include "gguf/gguf_file.h"

#include "error.h"
#include "gguf/mapped_file.h"
#include "gguf/utf8.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_set>

namespace qb {

// Reads the GGUF layout from untrusted bytes. Every read checks the bytes that remain first.
class GgufParser {
public:
    GgufParser(std::span<const uint8_t> bytes, GgufFile &file) : m_bytes(bytes), m_file(file) {}

    void run() {
        readHeader();
        const uint64_t nTensors = m_tensorCount;
        const uint64_t nKv = m_kvCount;
        readMetadata(nKv);
        readAlignment();
        readTensorInfos(nTensors);
        locateData();
    }

private:
    // Smallest encodings, used to bound counts before allocating for them.
    static constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;        // key length, 1-char key, type, u8 value
    static constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;
    static constexpr int kMaxArrayDepth = 8;           // arrays of arrays: deeper is hostile, not useful
    static constexpr uint64_t kMaxReserve = 1 << 16;   // items reserved before they are read
    // What the parsed header may cost in memory. Counts are bounded by the bytes that remain, but
    // that is not enough: an array item of one byte on disk becomes a GgufValue of ~40 bytes, and
    // a sparse file of terabytes "holds" a string of terabytes while occupying no disk at all.
    // Real headers (a 256K-token vocabulary with its merges) need a few tens of MiB.
    static constexpr uint64_t kMaxHeaderMemory = uint64_t(1) << 30;

    [[noreturn]] void fail(uint64_t at, const std::string &what) const {
        throw Error(m_file.m_sourceName + ": byte " + std::to_string(at) + ": " + what);
    }

    uint64_t remaining() const { return m_bytes.size() - m_pos; }

    // Accounts for memory the header is about to take, before allocating it. describe() names the
    // item for the message; it is only called on failure (this runs for every string).
    template <typename Describe>
    void charge(uint64_t at, uint64_t count, uint64_t unitBytes, Describe describe) {
        if (count > (kMaxHeaderMemory - m_charged) / unitBytes)
            fail(at, describe() + " would make the header need more than " + std::to_string(kMaxHeaderMemory >> 20) +
                         " MiB of memory; refusing the file");
        m_charged += count * unitBytes;
    }

    // " of key 'k'" or " of tensor 't'" while one is being read, so messages say whose field it is.
    std::string context() const { return m_context.empty() ? std::string() : " of " + m_context; }

    void need(uint64_t n, const char *what) const {
        if (n > remaining())
            fail(m_pos, std::string("file is truncated while reading ") + what + context() + " (needs " +
                            std::to_string(n) + " bytes, " + std::to_string(remaining()) + " remain)");
    }

    template <typename T>
    T read(const char *what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, m_bytes.data() + m_pos, sizeof(T));
        m_pos += sizeof(T);
        return v;
    }

    std::string readString(const char *what) {
        const uint64_t at = m_pos;
        const uint64_t len = read<uint64_t>(what);
        if (len > remaining())
            fail(at, std::string(what) + context() + " claims a length of " + std::to_string(len) +
                         " bytes but only " + std::to_string(remaining()) + " remain");
        charge(at, len, 1, [&] { return std::string(what) + context() + " of " + std::to_string(len) + " bytes"; });
        std::string s(reinterpret_cast<const char *>(m_bytes.data() + m_pos), size_t(len));
        m_pos += len;
        return s;
    }

    // The GGUF specification requires UTF-8 names; one that is not would be shown garbled and copied
    // into every output, so it is refused, naming the first bad byte's offset. `at` is where the
    // string's length field starts (its bytes follow the 8-byte length).
    void requireUtf8(uint64_t at, const std::string &text, const std::string &what) const {
        if (const auto bad = firstInvalidUtf8(text))
            fail(at + 8 + *bad, what + " '" + escapeInvalidUtf8(text) + "' is not valid UTF-8 (byte 0x" +
                                    hexByte(static_cast<unsigned char>(text[*bad])) + " at offset " +
                                    std::to_string(*bad) + " of the name); GGUF requires UTF-8");
    }

    static std::string hexByte(unsigned char c) {
        const char *digits = "0123456789abcdef";
        return {digits[c >> 4], digits[c & 15]};
    }

    void readHeader() {
        need(4, "the magic");
        if (std::memcmp(m_bytes.data(), "GGUF", 4) != 0) fail(0, "not a GGUF file (the magic is not 'GGUF')");
        m_pos = 4;
        const uint32_t version = read<uint32_t>("the version");
        if (version == 1) fail(4, "GGUF version 1 is not supported (only versions 2 and 3)");
        if (version != 2 && version != 3) {
            if ((version & 0xffff) == 0 && version != 0)
                fail(4, "this GGUF file is big-endian; only little-endian files are supported");
            fail(4, "unsupported GGUF version " + std::to_string(version) + " (only versions 2 and 3)");
        }
        m_file.m_version = version;
        const uint64_t at = m_pos;
        m_tensorCount = read<uint64_t>("the tensor count");
        m_kvCount = read<uint64_t>("the metadata key count");
        if (m_tensorCount > remaining() / kMinTensorInfoBytes)
            fail(at, "tensor count " + std::to_string(m_tensorCount) + " is larger than the file could hold");
        if (m_kvCount > remaining() / kMinKvBytes)
            fail(at + 8, "metadata key count " + std::to_string(m_kvCount) + " is larger than the file could hold");
    }

    static uint64_t minValueBytes(GgufValueType t) {
        switch (t) {
        case GgufValueType::UInt8: case GgufValueType::Int8: case GgufValueType::Bool: return 1;
        case GgufValueType::UInt16: case GgufValueType::Int16: return 2;
        case GgufValueType::UInt32: case GgufValueType::Int32: case GgufValueType::Float32: return 4;
        case GgufValueType::UInt64: case GgufValueType::Int64: case GgufValueType::Float64: return 8;
        case GgufValueType::String: return 8;
        case GgufValueType::Array: return 12;
        }
        return 1;
    }

    GgufValueType readValueType(const std::string &key) {
        const uint64_t at = m_pos;
        const uint32_t t = read<uint32_t>("a value type");
        if (t >= kGgufValueTypeCount) fail(at, "key '" + key + "': unknown value type " + std::to_string(t));
        return GgufValueType(t);
    }

    GgufValue readValue(GgufValueType type, const std::string &key, int depth) {
        switch (type) {
        case GgufValueType::UInt8: return GgufValue(read<uint8_t>("a u8 value"));
        case GgufValueType::Int8: return GgufValue(read<int8_t>("an i8 value"));
        case GgufValueType::UInt16: return GgufValue(read<uint16_t>("a u16 value"));
        case GgufValueType::Int16: return GgufValue(read<int16_t>("an i16 value"));
        case GgufValueType::UInt32: return GgufValue(read<uint32_t>("a u32 value"));
        case GgufValueType::Int32: return GgufValue(read<int32_t>("an i32 value"));
        case GgufValueType::Float32: return GgufValue(read<float>("an f32 value"));
        case GgufValueType::UInt64: return GgufValue(read<uint64_t>("a u64 value"));
        case GgufValueType::Int64: return GgufValue(read<int64_t>("an i64 value"));
        case GgufValueType::Float64: return GgufValue(read<double>("an f64 value"));
        case GgufValueType::Bool: {
            const uint64_t at = m_pos;
            const uint8_t b = read<uint8_t>("a bool value");
            if (b > 1) fail(at, "key '" + key + "': bool value " + std::to_string(b) + " is neither 0 nor 1");
            return GgufValue(b != 0);
        }
        case GgufValueType::String: return GgufValue(readString("a string value"));
        case GgufValueType::Array: {
            const uint64_t at = m_pos;
            if (depth >= kMaxArrayDepth)
                fail(at, "key '" + key + "': arrays nested deeper than " + std::to_string(kMaxArrayDepth));
            GgufArray arr;
            arr.elementType = readValueType(key);
            const uint64_t count = read<uint64_t>("an array length");
            if (count > remaining() / minValueBytes(arr.elementType))
                fail(at, "key '" + key + "': array of " + std::to_string(count) + " " +
                             ggufValueTypeName(arr.elementType) + " is larger than the file could hold");
            charge(at, count, sizeof(GgufValue), [&] {
                return "key '" + key + "': array of " + std::to_string(count) + " " + ggufValueTypeName(arr.elementType);
            });
            // Reserve a bounded amount: an array of tiny items in a large file must not cost
            // many times the file size before its items are actually read.
            arr.items.reserve(size_t(std::min<uint64_t>(count, kMaxReserve)));
            for (uint64_t i = 0; i < count; ++i) arr.items.push_back(readValue(arr.elementType, key, depth + 1));
            return GgufValue(std::move(arr));
        }
        }
        fail(m_pos, "key '" + key + "': unknown value type");
    }

    void readMetadata(uint64_t count) {
        std::unordered_set<std::string> seen;
        m_file.m_metadata.reserve(size_t(std::min<uint64_t>(count, kMaxReserve)));
        for (uint64_t i = 0; i < count; ++i) {
            const uint64_t at = m_pos;
            m_context.clear();
            std::string key = readString("a metadata key");
            if (key.empty()) fail(at, "metadata key #" + std::to_string(i) + " is empty");
            requireUtf8(at, key, "metadata key #" + std::to_string(i));
            if (!seen.insert(key).second) fail(at, "duplicate metadata key '" + key + "'");
            charge(at, 1, sizeof(GgufKeyValue) + sizeof(std::string) + key.size(), [&] { return "key '" + key + "'"; });
            m_context = "key '" + key + "'";
            const GgufValueType type = readValueType(key);
            if (key == "general.alignment") m_alignmentAt = m_pos;
            GgufValue value = readValue(type, key, 0);
            m_file.m_metadata.push_back({std::move(key), std::move(value)});
        }
        m_context.clear();
    }

    void readAlignment() {
        const GgufValue *v = m_file.find("general.alignment");
        if (!v) return;
        if (v->type() != GgufValueType::UInt32)
            fail(m_alignmentAt, std::string("key 'general.alignment' must be a u32, not ") + ggufValueTypeName(v->type()));
        const uint32_t a = std::get<uint32_t>(v->value);
        if (a == 0 || (a & (a - 1)) != 0)
            fail(m_alignmentAt, "key 'general.alignment' is " + std::to_string(a) + ", not a non-zero power of two");
        if (a > kGgufMaxAlignment)
            fail(m_alignmentAt, "key 'general.alignment' is " + std::to_string(a) + ", more than the " +
                                    std::to_string(kGgufMaxAlignment) + " bytes any real file uses");
        m_file.m_alignment = a;
    }

    void readTensorInfos(uint64_t count) {
        std::unordered_set<std::string> seen;
        m_file.m_tensors.reserve(size_t(std::min<uint64_t>(count, kMaxReserve)));
        for (uint64_t i = 0; i < count; ++i) {
            const uint64_t at = m_pos;
            GgufTensorInfo info;
            m_context.clear();
            info.name = readString("a tensor name");
            requireUtf8(at, info.name, "the name of tensor #" + std::to_string(i));
            const std::string who = "tensor '" + info.name + "'";
            m_context = who;
            if (info.name.empty()) fail(at, "tensor #" + std::to_string(i) + " has an empty name");
            if (info.name.size() > kGgufMaxTensorName)
                fail(at, who + ": name is longer than " + std::to_string(kGgufMaxTensorName) + " bytes");
            if (!seen.insert(info.name).second) fail(at, "duplicate tensor name '" + info.name + "'");
            charge(at, 1, sizeof(GgufTensorInfo) + sizeof(std::string) + info.name.size(), [&] { return who; });

            const uint64_t dimsAt = m_pos;
            info.nDims = read<uint32_t>("a tensor's dimension count");
            if (info.nDims == 0 || info.nDims > kGgufMaxDims)
                fail(dimsAt, who + ": " + std::to_string(info.nDims) + " dimensions (must be 1 to 4)");
            int64_t elements = 1;
            for (uint32_t d = 0; d < info.nDims; ++d) {
                const uint64_t neAt = m_pos;
                const uint64_t ne = read<uint64_t>("a tensor dimension");
                if (ne == 0) fail(neAt, who + ": dimension " + std::to_string(d) + " is zero");
                if (ne > uint64_t(std::numeric_limits<int64_t>::max()))
                    fail(neAt, who + ": dimension " + std::to_string(d) + " is negative (" +
                                   std::to_string(int64_t(ne)) + ")");
                if (int64_t(ne) > std::numeric_limits<int64_t>::max() / elements)
                    fail(neAt, who + ": element count overflows");
                info.ne[d] = int64_t(ne);
                elements *= int64_t(ne);
            }

            const uint64_t typeAt = m_pos;
            const uint32_t typeId = read<uint32_t>("a tensor type");
            const TypeTraits *traits = typeTraits(typeId);
            if (!traits) {
                if (isRemovedTypeId(typeId))
                    fail(typeAt, who + ": type id " + std::to_string(typeId) +
                                     " was removed from ggml; convert the model again with a current llama.cpp");
                fail(typeAt, who + ": unknown type id " + std::to_string(typeId));
            }
            info.type = traits->type;
            if (info.ne[0] % traits->blockSize != 0)
                fail(typeAt, who + ": row length " + std::to_string(info.ne[0]) + " is not a whole number of " +
                                 traits->name + " blocks of " + std::to_string(traits->blockSize));
            const uint64_t blocks = uint64_t(elements / traits->blockSize);
            if (blocks > std::numeric_limits<uint64_t>::max() / uint64_t(traits->typeSize))
                fail(typeAt, who + ": data size overflows");
            info.nbytes = blocks * uint64_t(traits->typeSize);

            const uint64_t offAt = m_pos;
            info.offset = read<uint64_t>("a tensor offset");
            m_offsetFieldAt.push_back(offAt);
            if (info.offset % m_file.m_alignment != 0)
                fail(offAt, who + ": data offset " + std::to_string(info.offset) + " is not a multiple of the alignment " +
                                std::to_string(m_file.m_alignment));
            m_file.m_tensors.push_back(std::move(info));
        }
        m_context.clear();
    }

    void locateData() {
        const uint64_t a = m_file.m_alignment;
        const uint64_t headerEnd = m_pos;
        const uint64_t dataOffset = headerEnd + (a - headerEnd % a) % a;
        m_file.m_dataOffset = dataOffset;
        const uint64_t fileSize = m_bytes.size();
        if (m_file.m_tensors.empty()) return;
        if (dataOffset > fileSize)
            fail(headerEnd, "file is truncated: the data section would start at byte " + std::to_string(dataOffset));
        const uint64_t dataSize = fileSize - dataOffset;

        // Errors point at the tensor's offset field in the header: that is the number that is wrong.
        std::vector<size_t> byOffset(m_file.m_tensors.size());
        for (size_t i = 0; i < byOffset.size(); ++i) {
            const GgufTensorInfo &t = m_file.m_tensors[i];
            if (t.offset > dataSize || t.nbytes > dataSize - t.offset)
                fail(m_offsetFieldAt[i],
                     "tensor '" + t.name + "': data [" + std::to_string(t.offset) + ", +" + std::to_string(t.nbytes) +
                         ") lies outside the data section of " + std::to_string(dataSize) + " bytes (file truncated?)");
            byOffset[i] = i;
        }
        const auto &tensors = m_file.m_tensors;
        std::sort(byOffset.begin(), byOffset.end(),
                  [&](size_t x, size_t y) { return tensors[x].offset < tensors[y].offset; });
        for (size_t i = 1; i < byOffset.size(); ++i) {
            const GgufTensorInfo &prev = tensors[byOffset[i - 1]];
            const GgufTensorInfo &cur = tensors[byOffset[i]];
            if (cur.offset < prev.offset + prev.nbytes)
                fail(m_offsetFieldAt[byOffset[i]], "tensor '" + cur.name + "': data [" + std::to_string(cur.offset) +
                                                       ", +" + std::to_string(cur.nbytes) + ") overlaps tensor '" +
                                                       prev.name + "'");
        }
    }

    std::span<const uint8_t> m_bytes;
    GgufFile &m_file;
    uint64_t m_pos = 0;
    uint64_t m_tensorCount = 0;
    uint64_t m_kvCount = 0;
    uint64_t m_charged = 0;  // estimated bytes of memory the parsed header holds
    uint64_t m_alignmentAt = 0;               // where general.alignment's value starts
    std::vector<uint64_t> m_offsetFieldAt;    // per tensor: where its offset field starts
    std::string m_context;                    // the key or tensor being read, for messages
};

GgufFile::~GgufFile() = default;

std::unique_ptr<GgufFile> GgufFile::parse(std::span<const uint8_t> bytes, std::string sourceName) {
    std::unique_ptr<GgufFile> file(new GgufFile());
    file->m_sourceName = std::move(sourceName);
    file->m_bytes = bytes;
    GgufParser(bytes, *file).run();
    return file;
}

std::unique_ptr<GgufFile> GgufFile::open(const std::filesystem::path &path) {
    auto mapping = std::make_unique<MappedFile>(path);
    auto file = parse(mapping->bytes(), path.string());
    file->m_mapping = std::move(mapping);
    return file;
}

const GgufValue *GgufFile::find(std::string_view key) const {
    for (const auto &kv : m_metadata)
        if (kv.key == key) return &kv.value;
    return nullptr;
}

std::optional<int64_t> GgufFile::findInt(std::string_view key) const {
    const GgufValue *v = find(key);
    return v ? v->toInt() : std::nullopt;
}

std::optional<std::string> GgufFile::findString(std::string_view key) const {
    const GgufValue *v = find(key);
    if (!v || !v->string()) return std::nullopt;
    return *v->string();
}

const GgufTensorInfo *GgufFile::findTensor(std::string_view name) const {
    for (const auto &t : m_tensors)
        if (t.name == name) return &t;
    return nullptr;
}

void GgufFile::ensureReadable(const GgufTensorInfo &info) const {
    if (!m_mapping) return;  // bytes held by the caller cannot shrink
    const uint64_t end = m_dataOffset + info.offset + info.nbytes;
    const uint64_t now = m_mapping->currentSize();
    if (now < end)
        throw Error(m_sourceName + ": the file shrank from " + std::to_string(fileSize()) + " to " +
                        std::to_string(now) + " bytes after it was opened; tensor '" + info.name +
                        "' (bytes up to " + std::to_string(end) + ") can no longer be read",
                    ErrorKind::Runtime);
}

void GgufFile::releaseTensorData(const GgufTensorInfo &info) const {
    if (m_mapping) m_mapping->release(m_dataOffset + info.offset, info.nbytes);
}

std::span<const uint8_t> GgufFile::tensorData(const GgufTensorInfo &info) const {
    return m_bytes.subspan(size_t(m_dataOffset + info.offset), size_t(info.nbytes));
}

} // namespace qb
