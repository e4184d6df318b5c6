#include "analysis/mix_size.h"

#include "gguf/tensor_bytes.h"

namespace qb {

MixSize mixSize(const GgufModel &model, const std::vector<MixEntry> &mix) {
    MixSize s;
    for (const MixEntry &e : mix) {
        const GgufTensorInfo &info = *model.tensors().at(e.tensor).info;
        s.bytes += tensorBytesAt(info, e.type);
        s.parameters += uint64_t(info.elements());
    }
    s.bitsPerWeight = s.parameters ? 8.0 * double(s.bytes) / double(s.parameters) : 0.0;
    return s;
}

} // namespace qb
