// One GGUF file (v2 or v3, little-endian): metadata, tensor infos, and the tensor data by mapping.
//
// Contract: parse() trusts nothing. Every count, length, dimension, type id and offset is
// checked against the bytes that remain and the format before it is used; no allocation is
// sized by a number from the file unless the file could hold that many items. Any defect
// throws qb::Error with the source name, the byte offset and the key or tensor concerned.
// After a successful parse, every tensor's data lies inside the file, aligned, without overlap.
#pragma once

#include "ggml_types.h"
#include "gguf/gguf_value.h"

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace qb {

class MappedFile;

inline constexpr uint64_t kGgufDefaultAlignment = 32;
// Largest general.alignment accepted. ggml only asks for a non-zero power of two, but the writer
// pads the header and every tensor to it, so 2^31 would cost gigabytes of zeros per tensor. Real
// files use 32 (the default); the only reason to go higher is to page-align the data for mmap,
// and the largest page size in use is 64 KiB (arm64 and ppc64 kernels built with 64K pages).
inline constexpr uint32_t kGgufMaxAlignment = 64 * 1024;
inline constexpr size_t kGgufMaxDims = 4;
inline constexpr size_t kGgufMaxTensorName = 63;  // ggml's GGML_MAX_NAME - 1

struct GgufTensorInfo {
    std::string name;
    GgmlType type = GgmlType::F32;
    uint32_t nDims = 0;
    std::array<int64_t, kGgufMaxDims> ne{1, 1, 1, 1};  // ne[0] is the row length
    uint64_t offset = 0;   // relative to the start of the data section
    uint64_t nbytes = 0;   // size of the data

    int64_t elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    int64_t rowLength() const { return ne[0]; }
    int64_t rows() const { return ne[1] * ne[2] * ne[3]; }
};

class GgufFile {
public:
    // Maps and parses the file at path.
    static std::unique_ptr<GgufFile> open(const std::filesystem::path &path);
    // Parses bytes held by the caller (kept alive by the caller); sourceName is used in messages.
    static std::unique_ptr<GgufFile> parse(std::span<const uint8_t> bytes, std::string sourceName);

    ~GgufFile();

    const std::string &sourceName() const { return m_sourceName; }
    uint32_t version() const { return m_version; }
    uint64_t alignment() const { return m_alignment; }
    uint64_t dataOffset() const { return m_dataOffset; }  // file offset of the data section
    uint64_t fileSize() const { return m_bytes.size(); }

    const std::vector<GgufKeyValue> &metadata() const { return m_metadata; }
    const GgufValue *find(std::string_view key) const;
    std::optional<int64_t> findInt(std::string_view key) const;
    std::optional<std::string> findString(std::string_view key) const;

    const std::vector<GgufTensorInfo> &tensors() const { return m_tensors; }
    const GgufTensorInfo *findTensor(std::string_view name) const;
    std::span<const uint8_t> tensorData(const GgufTensorInfo &info) const;
    // For an opened (mapped) file: throws qb::Error (Runtime) naming the file and the tensor when
    // the file has been truncated since it was opened so that the tensor's data is gone. Reading
    // such data through the mapping would raise SIGBUS; call this just before touching it.
    // A truncation racing with the read itself cannot be caught this way (see mapped_file.h).
    void ensureReadable(const GgufTensorInfo &info) const;
    // For an opened (mapped) file: drops the tensor's pages from resident memory once the caller
    // is done with them (MappedFile::release); touching the data again reads it again. Readers
    // call it behind them so resident memory stays bounded by the tensors in flight.
    void releaseTensorData(const GgufTensorInfo &info) const;

private:
    GgufFile() = default;
    friend class GgufParser;

    std::string m_sourceName;
    std::unique_ptr<MappedFile> m_mapping;
    std::span<const uint8_t> m_bytes;
    uint32_t m_version = 0;
    uint64_t m_alignment = kGgufDefaultAlignment;
    uint64_t m_dataOffset = 0;
    std::vector<GgufKeyValue> m_metadata;
    std::vector<GgufTensorInfo> m_tensors;
};

} // namespace qb
