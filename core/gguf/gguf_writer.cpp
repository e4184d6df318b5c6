#include "gguf/gguf_writer.h"

#include "error.h"
#include "gguf/output_file.h"
#include "gguf/utf8.h"

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <unordered_set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace qb {

namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little, "GGUF is written little-endian by plain stores");

namespace {

constexpr uint32_t kGgufVersion = 3;
// The reader refuses arrays nested deeper than this; never write what we could not read back.
constexpr int kMaxArrayDepth = 8;

uint64_t padTo(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

// Appends values in GGUF's little-endian encoding to an in-memory header.
class HeaderBytes {
public:
    template <typename T>
    void put(T v) {
        const size_t at = m_bytes.size();
        m_bytes.resize(at + sizeof(T));
        std::memcpy(m_bytes.data() + at, &v, sizeof(T));
    }
    void putString(const std::string &s) {
        put<uint64_t>(s.size());
        m_bytes.insert(m_bytes.end(), s.begin(), s.end());
    }
    void putValue(const GgufValue &v) {
        std::visit(
            [this](const auto &x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, std::string>) putString(x);
                else if constexpr (std::is_same_v<T, GgufArray>) putArray(x);
                else if constexpr (std::is_same_v<T, bool>) put<uint8_t>(x ? 1 : 0);
                else put<T>(x);
            },
            v.value);
    }
    // An array is its element type, its length, then the items without their own type tags;
    // an item that is itself an array carries its element type and length (GGUF spec).
    void putArray(const GgufArray &a) {
        put<uint32_t>(uint32_t(a.elementType));
        put<uint64_t>(a.items.size());
        for (const GgufValue &item : a.items) putValue(item);
    }
    void padTo(uint64_t alignment) { m_bytes.resize(size_t(qb::padTo(m_bytes.size(), alignment)), 0); }

    std::vector<uint8_t> &bytes() { return m_bytes; }

private:
    std::vector<uint8_t> m_bytes;
};

void checkValue(const GgufValue &v, const std::string &key, int depth) {
    const GgufArray *a = v.array();
    if (!a) return;
    if (depth >= kMaxArrayDepth)
        throw Error("GGUF writer: key '" + key + "': arrays nested deeper than " + std::to_string(kMaxArrayDepth));
    if (uint32_t(a->elementType) >= kGgufValueTypeCount)
        throw Error("GGUF writer: key '" + key + "': unknown array element type " +
                    std::to_string(uint32_t(a->elementType)));
    for (size_t i = 0; i < a->items.size(); ++i) {
        if (a->items[i].type() != a->elementType)
            throw Error("GGUF writer: key '" + key + "': array item " + std::to_string(i) + " is " +
                        ggufValueTypeName(a->items[i].type()) + " in an array of " +
                        ggufValueTypeName(a->elementType));
        checkValue(a->items[i], key, depth + 1);
    }
}

// general.alignment as ggml reads it: a non-zero power-of-two u32, else the default; at most
// kGgufMaxAlignment, as the reader enforces.
uint64_t alignmentOf(const std::vector<GgufKeyValue> &metadata) {
    for (const GgufKeyValue &kv : metadata) {
        if (kv.key != "general.alignment") continue;
        if (kv.value.type() != GgufValueType::UInt32)
            throw Error(std::string("GGUF writer: key 'general.alignment' must be a u32, not ") +
                        ggufValueTypeName(kv.value.type()));
        const uint32_t a = std::get<uint32_t>(kv.value.value);
        if (a == 0 || (a & (a - 1)) != 0)
            throw Error("GGUF writer: key 'general.alignment' is " + std::to_string(a) +
                        ", not a non-zero power of two");
        // Metadata may come from anywhere (a hand-edited plan, another reader): never pad to
        // gigabytes.
        if (a > kGgufMaxAlignment)
            throw Error("GGUF writer: key 'general.alignment' is " + std::to_string(a) + ", more than " +
                        std::to_string(kGgufMaxAlignment) + " bytes");
        return a;
    }
    return kGgufDefaultAlignment;
}

GgufTensorInfo layoutTensor(const GgufTensorPlan &plan) {
    const std::string who = "GGUF writer: tensor '" + plan.name + "'";
    if (plan.name.empty()) throw Error("GGUF writer: a tensor has an empty name");
    if (firstInvalidUtf8(plan.name))
        throw Error("GGUF writer: tensor name '" + escapeInvalidUtf8(plan.name) + "' is not valid UTF-8");
    if (plan.name.size() > kGgufMaxTensorName)
        throw Error(who + ": name is longer than " + std::to_string(kGgufMaxTensorName) + " bytes");
    if (plan.nDims == 0 || plan.nDims > kGgufMaxDims)
        throw Error(who + ": " + std::to_string(plan.nDims) + " dimensions (must be 1 to 4)");
    const TypeTraits *traits = typeTraits(uint32_t(plan.type));
    if (!traits) throw Error(who + ": unknown type id " + std::to_string(uint32_t(plan.type)));
    int64_t elements = 1;
    for (size_t d = 0; d < kGgufMaxDims; ++d) {
        const int64_t ne = plan.ne[d];
        if (d >= plan.nDims) {
            if (ne != 1) throw Error(who + ": dimension " + std::to_string(d) + " beyond its " +
                                     std::to_string(plan.nDims) + " dimensions is " + std::to_string(ne) + ", not 1");
            continue;
        }
        if (ne <= 0) throw Error(who + ": dimension " + std::to_string(d) + " is " + std::to_string(ne));
        if (ne > std::numeric_limits<int64_t>::max() / elements) throw Error(who + ": element count overflows");
        elements *= ne;
    }
    if (plan.ne[0] % traits->blockSize != 0)
        throw Error(who + ": row length " + std::to_string(plan.ne[0]) + " is not a whole number of " + traits->name +
                    " blocks of " + std::to_string(traits->blockSize));
    const uint64_t blocks = uint64_t(elements / traits->blockSize);
    if (blocks > std::numeric_limits<uint64_t>::max() / 2 / uint64_t(traits->typeSize))
        throw Error(who + ": data size overflows");
    GgufTensorInfo info;
    info.name = plan.name;
    info.type = plan.type;
    info.nDims = plan.nDims;
    info.ne = plan.ne;
    info.nbytes = blocks * uint64_t(traits->typeSize);
    return info;
}

// Validates the plan and lays the file out exactly as it will be written: tensor offsets, and
// the header bytes (padded to the alignment). The one computation of a GGUF file's size.
std::vector<uint8_t> layOut(const std::vector<GgufKeyValue> &metadata, const std::vector<GgufTensorPlan> &tensors,
                            std::vector<GgufTensorInfo> &infos, uint64_t &alignment) {
    // Validate everything before the first byte goes out.
    std::unordered_set<std::string> keys;
    for (const GgufKeyValue &kv : metadata) {
        if (kv.key.empty()) throw Error("GGUF writer: a metadata key is empty");
        // Never write what the reader refuses (the GGUF specification requires UTF-8 names).
        if (firstInvalidUtf8(kv.key))
            throw Error("GGUF writer: metadata key '" + escapeInvalidUtf8(kv.key) + "' is not valid UTF-8");
        if (!keys.insert(kv.key).second) throw Error("GGUF writer: duplicate metadata key '" + kv.key + "'");
        checkValue(kv.value, kv.key, 0);
    }
    alignment = alignmentOf(metadata);
    std::unordered_set<std::string> names;
    uint64_t offset = 0;
    infos.reserve(tensors.size());
    for (const GgufTensorPlan &plan : tensors) {
        if (!names.insert(plan.name).second) throw Error("GGUF writer: duplicate tensor name '" + plan.name + "'");
        GgufTensorInfo info = layoutTensor(plan);
        info.offset = offset;
        if (info.nbytes > std::numeric_limits<uint64_t>::max() / 2 - offset)
            throw Error("GGUF writer: tensor '" + plan.name + "': the file would exceed 2^63 bytes");
        offset += padTo(info.nbytes, alignment);
        infos.push_back(std::move(info));
    }

    // The header as ggml lays it out: magic, version, counts, key/values, tensor infos, padding.
    HeaderBytes header;
    header.put<uint32_t>(0x46554747u);  // "GGUF"
    header.put<uint32_t>(kGgufVersion);
    header.put<int64_t>(int64_t(infos.size()));
    header.put<int64_t>(int64_t(metadata.size()));
    for (const GgufKeyValue &kv : metadata) {
        header.putString(kv.key);
        header.put<uint32_t>(uint32_t(kv.value.type()));
        header.putValue(kv.value);
    }
    for (const GgufTensorInfo &info : infos) {
        header.putString(info.name);
        header.put<uint32_t>(info.nDims);
        for (uint32_t d = 0; d < info.nDims; ++d) header.put<int64_t>(info.ne[d]);
        header.put<uint32_t>(uint32_t(info.type));
        header.put<uint64_t>(info.offset);
    }
    header.padTo(alignment);
    return std::move(header.bytes());
}

bool sameFile(const fs::path &a, const fs::path &b) {
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec)) return true;
    std::error_code ecA, ecB;
    const fs::path ca = fs::weakly_canonical(fs::absolute(a, ecA), ecA);
    const fs::path cb = fs::weakly_canonical(fs::absolute(b, ecB), ecB);
    return !ecA && !ecB && ca == cb;
}

std::string errnoText(int err) { return std::string(std::strerror(err)); }

} // namespace

struct GgufWriter::Impl {
    fs::path target;
    OutputFile out;  // unnamed (O_TMPFILE) or hidden until commit
    std::vector<fs::path> protectedInputs;
    std::vector<GgufTensorInfo> infos;
    uint64_t alignment = kGgufDefaultAlignment;
    uint64_t dataOffset = 0;
    uint64_t fileSize = 0;
    uint64_t written = 0;   // bytes written to the temporary file so far
    size_t nextTensor = 0;
    bool holes = false;     // skipTensor() left data as a hole: the size is set at commit
    bool failed = false;
    bool committed = false;

    [[noreturn]] void ioFailure(int err, const std::string &during) {
        failed = true;
        throw Error("cannot write '" + target.string() + "' (" + during + ", at byte " + std::to_string(written) +
                        "): " + errnoText(err),
                    ErrorKind::Runtime);
    }

    void writeAll(const uint8_t *data, uint64_t size, const std::string &during) {
        while (size > 0) {
            const size_t chunk = size_t(std::min<uint64_t>(size, uint64_t(1) << 30));
            const ssize_t n = ::write(out.fd(), data, chunk);
            if (n < 0) {
                if (errno == EINTR) continue;
                ioFailure(errno, during);
            }
            if (n == 0) ioFailure(EIO, during);
            data += n;
            size -= uint64_t(n);
            written += uint64_t(n);
        }
    }

    void writeZeros(uint64_t count, const std::string &during) {
        static const uint8_t zeros[256] = {};
        while (count > 0) {
            const uint64_t n = std::min<uint64_t>(count, sizeof zeros);
            writeAll(zeros, n, during);
            count -= n;
        }
    }

    void refuseProtected() const {
        for (const fs::path &p : protectedInputs)
            if (sameFile(target, p))
                throw Error("refusing to write '" + target.string() + "': it is the input file '" + p.string() + "'");
    }

    void discard() noexcept { out.discard(); }
};

GgufWriter::GgufWriter(const fs::path &target, std::vector<GgufKeyValue> metadata, std::vector<GgufTensorPlan> tensors,
                       const std::vector<fs::path> &protectedInputs, SpaceCheck spaceCheck)
    : m_impl(std::make_unique<Impl>()) {
    Impl &w = *m_impl;
    w.target = target;
    w.protectedInputs = protectedInputs;

    // Writing through a symbolic link keeps the link: the file it points to is replaced.
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(target, ec))) {
        w.target = fs::weakly_canonical(target, ec);
        if (ec) throw Error("cannot resolve the output path '" + target.string() + "': " + ec.message());
    }
    if (fs::exists(w.target, ec) && !fs::is_regular_file(w.target, ec))
        throw Error("refusing to write '" + target.string() + "': it exists and is not a regular file" +
                    (fs::is_directory(w.target, ec) ? " (it is a folder)" : ""));
    w.refuseProtected();

    std::vector<uint8_t> header = layOut(metadata, tensors, w.infos, w.alignment);
    w.dataOffset = header.size();
    w.fileSize = w.dataOffset + (w.infos.empty() ? 0 : w.infos.back().offset + padTo(w.infos.back().nbytes, w.alignment));
    metadata.clear();

    // Refused at once, not after an hour of quantization with the disk full.
    if (spaceCheck == SpaceCheck::WholeFile)
        checkFreeSpace(outputFolder(w.target), w.fileSize, target);
    w.out.create(w.target);
    try {
        w.writeAll(header.data(), header.size(), "the header");
    } catch (...) {
        w.discard();
        throw;
    }
}

GgufLayout ggufLayout(const std::vector<GgufKeyValue> &metadata, const std::vector<GgufTensorPlan> &tensors) {
    GgufLayout layout;
    layout.dataOffset = layOut(metadata, tensors, layout.tensors, layout.alignment).size();
    layout.fileSize = layout.dataOffset;
    if (!layout.tensors.empty())
        layout.fileSize += layout.tensors.back().offset + padTo(layout.tensors.back().nbytes, layout.alignment);
    return layout;
}

uint64_t ggufPaddedBytes(uint64_t nbytes, uint64_t alignment) { return padTo(nbytes, alignment); }

GgufWriter::~GgufWriter() {
    if (m_impl && !m_impl->committed) m_impl->discard();
}

const std::vector<GgufTensorInfo> &GgufWriter::tensorInfos() const { return m_impl->infos; }

uint64_t GgufWriter::fileSize() const { return m_impl->fileSize; }

void GgufWriter::writeTensor(std::span<const uint8_t> data) {
    Impl &w = *m_impl;
    if (w.committed) throw Error("GGUF writer: '" + w.target.string() + "' is already committed");
    if (w.failed) throw Error("GGUF writer: '" + w.target.string() + "' failed earlier; nothing more can be written",
                              ErrorKind::Runtime);
    if (w.nextTensor >= w.infos.size())
        throw Error("GGUF writer: all " + std::to_string(w.infos.size()) + " tensors of '" + w.target.string() +
                    "' are already written");
    const GgufTensorInfo &info = w.infos[w.nextTensor];
    if (data.size() != info.nbytes)
        throw Error("GGUF writer: tensor '" + info.name + "' needs " + std::to_string(info.nbytes) + " bytes, got " +
                    std::to_string(data.size()));
    const std::string during = "tensor '" + info.name + "'";
    w.writeAll(data.data(), data.size(), during);
    // Every tensor, the last one too, is followed by zeros up to the alignment, as ggml writes it.
    w.writeZeros(padTo(info.nbytes, w.alignment) - info.nbytes, during);
    ++w.nextTensor;
}

void GgufWriter::commit() {
    Impl &w = *m_impl;
    if (w.committed) return;
    if (w.failed) throw Error("GGUF writer: '" + w.target.string() + "' failed earlier; cannot commit", ErrorKind::Runtime);
    if (w.nextTensor != w.infos.size())
        throw Error("GGUF writer: cannot commit '" + w.target.string() + "': " + std::to_string(w.nextTensor) + " of " +
                    std::to_string(w.infos.size()) + " tensors written");
    if (w.written != w.fileSize)
        throw std::logic_error("GGUF writer: wrote " + std::to_string(w.written) + " bytes, planned " +
                               std::to_string(w.fileSize));
    if (w.holes && ::ftruncate(w.out.fd(), off_t(w.fileSize)) != 0) w.ioFailure(errno, "setting the file size");
    // The input may have been replaced by a link to the target since the constructor checked.
    w.refuseProtected();
    std::string step;
    if (const int err = w.out.commit(step)) w.ioFailure(err, step);
    w.committed = true;
}

void GgufWriter::skipTensor() {
    Impl &w = *m_impl;
    if (w.committed || w.failed || w.nextTensor >= w.infos.size())
        throw Error("GGUF writer: no tensor of '" + w.target.string() + "' left to skip");
    const uint64_t n = padTo(w.infos[w.nextTensor].nbytes, w.alignment);
    if (::lseek(w.out.fd(), off_t(n), SEEK_CUR) < 0) w.ioFailure(errno, "tensor '" + w.infos[w.nextTensor].name + "'");
    w.written += n;
    w.holes = true;
    ++w.nextTensor;
}

} // namespace qb
