// Writes a GGUF v3 file by streaming tensor data one tensor at a time.
//
// Contract: memory is bounded by the caller's largest tensor buffer, never the model. The
// header (metadata, tensor infos with offsets honouring general.alignment, default 32) is laid
// out from the plan before any data is written. Output goes to a temporary file in the target's
// folder; commit() flushes, syncs and renames it into place. If commit() is not reached (error,
// cancellation, exception), the destructor removes the temporary file: no partial output ever
// remains. The writer refuses a target that is the same file as any protected input.
// I/O failures (full disk ...) throw qb::Error(kind Runtime) naming the path and the tensor.
#pragma once

#include "ggml_types.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_value.h"

#include <array>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace qb {

struct GgufTensorPlan {
    std::string name;
    GgmlType type = GgmlType::F32;
    uint32_t nDims = 1;
    std::array<int64_t, kGgufMaxDims> ne{1, 1, 1, 1};
};

// The file a writer would produce for this metadata and these tensors, without writing it:
// tensor offsets, header size and total size, from the same code the writer uses. Throws
// qb::Error for a plan the writer would refuse.
struct GgufLayout {
    std::vector<GgufTensorInfo> tensors;
    uint64_t alignment = kGgufDefaultAlignment;
    uint64_t dataOffset = 0;  // header bytes, padded to the alignment
    uint64_t fileSize = 0;
};
GgufLayout ggufLayout(const std::vector<GgufKeyValue> &metadata, const std::vector<GgufTensorPlan> &tensors);

// A tensor's data plus the zeros that follow it up to the alignment, as the writer writes it.
uint64_t ggufPaddedBytes(uint64_t nbytes, uint64_t alignment);

class GgufWriter {
public:
    // WholeFile: refuse when the folder cannot hold fileSize() bytes. None: for sparse files whose
    // data is mostly holes (skipTensor), made by tests and benchmarks.
    enum class SpaceCheck { WholeFile, None };

    GgufWriter(const std::filesystem::path &target, std::vector<GgufKeyValue> metadata,
               std::vector<GgufTensorPlan> tensors, const std::vector<std::filesystem::path> &protectedInputs = {},
               SpaceCheck spaceCheck = SpaceCheck::WholeFile);
    ~GgufWriter();
    GgufWriter(const GgufWriter &) = delete;
    GgufWriter &operator=(const GgufWriter &) = delete;

    // Offsets and sizes exactly as they will be written.
    const std::vector<GgufTensorInfo> &tensorInfos() const;
    // Total size of the finished file.
    uint64_t fileSize() const;

    // Writes the next tensor's data, in plan order; data.size() must equal that tensor's nbytes.
    void writeTensor(std::span<const uint8_t> data);
    // Leaves the next tensor's data as a hole in a sparse file: it reads as zeros and costs no
    // disk space (test and benchmark models larger than the disk).
    void skipTensor();
    // Flushes, syncs and atomically renames the temporary file to the target.
    void commit();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace qb
