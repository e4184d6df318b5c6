#include "mix/mix_walk_steps.h"

#include "error.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace qb::mixwalk {

std::string upper(GgmlType type) {
    std::string s = typeName(type);
    for (char &c : s)
        c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::vector<size_t> walkOrder(const GgufModel &model, bool keepSplit) {
    auto order = llamaQuantizeOrder(model);
    if (keepSplit)
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            const auto &ta = model.tensors()[a], &tb = model.tensors()[b];
            return std::pair(ta.split, ta.info->offset) < std::pair(tb.split, tb.info->offset);
        });
    return order;
}

std::vector<TensorPattern> compileOverrides(const QuantizeOptions &options) {
    std::vector<std::string> patterns;
    patterns.reserve(options.tensorTypes.size());
    for (const auto &o : options.tensorTypes)
        patterns.push_back(o.pattern);
    return compileTensorPatterns(patterns, "--tensor-type");
}

int firstOverride(const std::vector<TensorPattern> &patterns, const std::string &name) {
    for (size_t i = 0; i < patterns.size(); ++i)
        if (patterns[i].search(name)) return int(i);
    return -1;
}

std::pair<int, int> ffnLayer(int counter, int layers, int experts, const std::string &name) {
    if (experts <= 1) return {counter, layers};
    int layer = -1;
    if (std::sscanf(name.c_str(), "blk.%d.", &layer) != 1)
        throw Error("cannot determine the layer of tensor " + name + " (expected a name starting with blk.N.)");
    if (layer < 0 || layer >= layers)
        throw Error("tensor " + name + " names layer " + std::to_string(layer) + ", outside [0, " +
                    std::to_string(layers) + ")");
    return {layer, layers};
}

mixrules::RuleContext ruleContext(const QuantLabel &label, GgmlType base, const GgufTensorInfo &info,
                                  bool hasImatrix, const ModelHparams &hparams, int attnV, int attnVCount) {
    mixrules::RuleContext c;
    c.ftype = label.ftype;
    c.current = base;
    c.rowLength = info.ne[0];
    c.hasImatrix = hasImatrix;
    c.falcon = hparams.architecture == "falcon";
    c.is70B = hparams.is70B;
    c.gqa = hparams.gqa;
    c.experts = hparams.experts;
    c.attnV = attnV;
    c.attnVCount = attnVCount;
    return c;
}

GgmlType chooseFromTable(mixrules::Role role, mixrules::RuleContext c, bool adjustAttnV, const QuantLabel &label,
                         const std::string &where, std::string &reason) {
    GgmlType type = c.current;
    reason = std::string(mixrules::roleName(role)) + ": base type of " + label.name;
    if (const auto *rule = mixrules::findRule(role, c)) {
        type = rule->type;
        reason = std::string(rule->why) + where;
    }
    if (role == mixrules::Role::AttnV && adjustAttnV) {
        c.current = type;
        if (const auto *adj = mixrules::findAttnVAdjustment(c)) {
            type = adj->type;
            reason = std::string(adj->why) + where;
        }
    }
    reason += " -> " + upper(type);
    return type;
}

} // namespace qb::mixwalk
