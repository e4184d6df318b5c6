#include "gguf/gguf_model.h"

namespace qb {

// Builds a model from one file. (Split sets: see the split-set loader.)
class GgufModelLoader {
public:
    static std::unique_ptr<GgufModel> single(const std::filesystem::path &path) {
        auto model = std::make_unique<GgufModel>();
        model->m_splits.push_back(GgufFile::open(path));
        model->m_paths.push_back(path);
        for (const auto &info : model->m_splits.front()->tensors()) model->m_tensors.push_back({&info, 0});
        return model;
    }
};

std::unique_ptr<GgufModel> GgufModel::open(const std::filesystem::path &path) { return GgufModelLoader::single(path); }

const GgufModel::Tensor *GgufModel::findTensor(std::string_view name) const {
    for (const auto &t : m_tensors)
        if (t.info->name == name) return &t;
    return nullptr;
}

std::span<const uint8_t> GgufModel::tensorData(const Tensor &tensor) const {
    return m_splits.at(tensor.split)->tensorData(*tensor.info);
}

uint64_t GgufModel::totalFileSize() const {
    uint64_t total = 0;
    for (const auto &s : m_splits) total += s->fileSize();
    return total;
}

uint64_t GgufModel::parameterCount() const {
    uint64_t total = 0;
    for (const auto &t : m_tensors) total += uint64_t(t.info->elements());
    return total;
}

uint64_t GgufModel::tensorBytes() const {
    uint64_t total = 0;
    for (const auto &t : m_tensors) total += t.info->nbytes;
    return total;
}

} // namespace qb
