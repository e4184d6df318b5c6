#include "mix/override_permission.h"

#include <algorithm>

namespace qb {

std::vector<bool> overridableTensors(const MixDecision &decision, const QuantizeOptions &options) {
    const bool labelQuantizes = decision.label && typeTraits(decision.label->baseType).quantized;
    const bool hasOutput = std::any_of(decision.tensors.begin(), decision.tensors.end(),
                                       [](const TensorDecision &d) { return d.name == "output.weight"; });
    std::vector<bool> out;
    out.reserve(decision.tensors.size());
    for (const TensorDecision &d : decision.tensors) {
        const bool tokenEmbedding = d.name == "token_embd.weight";
        const bool outputTensor = d.name == "output.weight";
        // The options applied before the --tensor-type patterns (mix_rules.cpp, mix_walker_2026.cpp).
        const bool explicitType =
            (tokenEmbedding && options.tokenEmbeddingType) || (outputTensor && options.outputTensorType) ||
            (decision.rules == RuleSet::B4748 && tokenEmbedding && !hasOutput && options.outputTensorType &&
             !options.pure);
        out.push_back(d.quantizable && labelQuantizes && !explicitType);
    }
    return out;
}

} // namespace qb
