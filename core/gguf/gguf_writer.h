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
