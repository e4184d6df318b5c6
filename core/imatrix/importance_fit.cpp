#include "imatrix/importance_fit.h"

#include "error.h"

namespace qb {

void checkImportanceFits(const GgufModel &model, const ImportanceMatrix &imatrix, const std::string &origin) {
    size_t matched = 0;
    for (const GgufModel::Tensor &t : model.tensors()) {
        const std::vector<float> *values = imatrix.find(t.info->name);
        if (!values) continue;
        const uint64_t expected = uint64_t(t.info->ne[0]) * uint64_t(t.info->ne[2]);
        if (values->size() != expected)
            throw Error(origin + ": the entry for " + t.info->name + " has " + std::to_string(values->size()) +
                        " values but the tensor has " + std::to_string(expected) +
                        " columns; the importance matrix was not made for this model");
        ++matched;
    }
    if (matched == 0)
        throw Error(origin + ": none of its " + std::to_string(imatrix.entries().size()) +
                    " entries names a tensor of this model; the importance matrix was not made for this model");
}

} // namespace qb
