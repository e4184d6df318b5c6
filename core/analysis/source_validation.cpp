#include "analysis/source_validation.h"

#include "error.h"
#include "kernels/block_scale_validation.h"

namespace qb {

void SourceValidation::check(const GgufModel &model, size_t tensor) {
    const GgufModel::Tensor &t = model.tensors().at(tensor);
    if (!hasBlockScales(t.info->type)) return;
    {
        std::lock_guard lock(m_mutex);
        if (m_valid.at(tensor)) return;
    }
    if (const auto bad = firstInvalidBlockScale(t.info->type, model.tensorData(t)))
        throw Error(describeInvalidBlockScale(t.info->name, t.info->type, *bad));
    std::lock_guard lock(m_mutex);
    m_valid[tensor] = 1;
}

} // namespace qb
