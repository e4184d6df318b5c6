// A model as the user sees it: one GGUF file, or a split set (name-00001-of-0000N.gguf with
// split.* keys) presented as one list of tensors.
//
// Contract: open() accepts a single file or any file of a split set; the metadata is the first
// split's; tensors are in file order across splits; every split is validated as a GgufFile and
// the set is checked for consistency (count, numbering, no duplicate tensor across splits).
// Nothing is read eagerly beyond the headers: tensor data is memory-mapped.
#pragma once

#include "gguf/gguf_file.h"

#include <filesystem>
#include <memory>
#include <span>
#include <vector>

namespace qb {

class GgufModel {
public:
    struct Tensor {
        const GgufTensorInfo *info;  // owned by the split's GgufFile
        size_t split;                // index into splits()
    };

    static std::unique_ptr<GgufModel> open(const std::filesystem::path &path);

    const GgufFile &primary() const { return *m_splits.front(); }
    size_t splitCount() const { return m_splits.size(); }
    const GgufFile &split(size_t i) const { return *m_splits.at(i); }
    const std::vector<std::filesystem::path> &paths() const { return m_paths; }

    const std::vector<GgufKeyValue> &metadata() const { return primary().metadata(); }
    const GgufValue *find(std::string_view key) const { return primary().find(key); }

    const std::vector<Tensor> &tensors() const { return m_tensors; }
    const Tensor *findTensor(std::string_view name) const;
    std::span<const uint8_t> tensorData(const Tensor &tensor) const;
    // Throws qb::Error (Runtime) if the tensor's part was truncated after opening (GgufFile::ensureReadable).
    void ensureReadable(const Tensor &tensor) const { m_splits.at(tensor.split)->ensureReadable(*tensor.info); }

    // Drops the tensor's input pages from resident memory (GgufFile::releaseTensorData).
    void releaseTensorData(const Tensor &tensor) const { m_splits.at(tensor.split)->releaseTensorData(*tensor.info); }

    uint64_t totalFileSize() const;
    uint64_t parameterCount() const;
    uint64_t tensorBytes() const;

private:
    std::vector<std::unique_ptr<GgufFile>> m_splits;
    std::vector<std::filesystem::path> m_paths;
    std::vector<Tensor> m_tensors;
    friend class GgufModelLoader;
};

} // namespace qb
