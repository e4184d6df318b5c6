// decideMix(): walks the tensors in llama-quantize's order, keeps its counters, and asks the
// rule tables (mix_rule_table.h) for each tensor's type. The control flow here is llama.cpp
// b4748's llama_model_quantize_impl; the choices themselves live in the tables.
#include "mix/mix_rules.h"

#include "error.h"
#include "imatrix/importance_matrix.h"
#include "mix/mix_rule_table.h"
#include "mix/mix_walk_steps.h"
#include "mix/mix_walker_2026.h"
#include "mix/model_hparams.h"
#include "mix/tensor_pattern.h"

#include <algorithm>

namespace qb {
namespace {

using mixrules::Role;
using mixwalk::ffnLayer;
using mixwalk::upper;

Role roleOf(const std::string &name, bool hasOutput) {
    if (name == "output.weight" || (!hasOutput && name == "token_embd.weight")) return Role::Output;
    if (name == "token_embd.weight") return Role::TokenEmbd;
    // Substring tests in llama.cpp's order (a name holds at most one of these).
    static const std::pair<const char *, Role> kRoles[] = {
        {"attn_v.weight", Role::AttnV},
        {"attn_k.weight", Role::AttnK},
        {"attn_q.weight", Role::AttnQ},
        {"ffn_down", Role::FfnDown},
        {"attn_output.weight", Role::AttnOutput},
        {"attn_qkv.weight", Role::AttnQkv},
        {"ffn_gate", Role::FfnGate},
        {"ffn_up", Role::FfnUp},
    };
    for (const auto &[text, role] : kRoles)
        if (name.find(text) != std::string::npos) return role;
    return Role::Other;
}

// llama.cpp's counters over the tensors seen so far, shared by the whole walk.
struct MixCounters {
    int attnVCount = 0; // n_attention_wv: attn_v, attn_qkv and attn_kv_b tensors
    int attnV = 0, ffnDown = 0, ffnGate = 0, ffnUp = 0;
};

bool lowBitNeedsImportance(GgmlType type, LlamaFtype ftype, const std::string &name) {
    switch (type) {
    case GgmlType::IQ2_XXS:
    case GgmlType::IQ2_XS:
    case GgmlType::IQ2_S:
    case GgmlType::IQ1_S: return true;
    case GgmlType::IQ1_M: return name != "token_embd.weight" && name != "output.weight";
    case GgmlType::Q2_K: return ftype == LlamaFtype::Q2_K_S && name != "token_embd.weight";
    default: return false;
    }
}

class MixWalker {
  public:
    MixWalker(const GgufModel &model, const QuantLabel &label, const QuantizeOptions &options,
              const ImportanceMatrix *imatrix)
        : m_model(model), m_label(label), m_options(options), m_imatrix(imatrix), m_hparams(ModelHparams::read(model)),
          m_patterns(mixwalk::compileOverrides(options)) {}

    MixDecision run();

  private:
    GgmlType chooseType(const GgufTensorInfo &info, Role role, std::string &reason);
    GgmlType applyRules(const GgufTensorInfo &info, Role role, GgmlType base, std::string &reason);
    GgmlType applyFallback(const GgufTensorInfo &info, GgmlType type, std::string &reason);
    void checkImportance(TensorDecision &d, const GgufTensorInfo &info);

    const GgufModel &m_model;
    const QuantLabel &m_label;
    const QuantizeOptions &m_options;
    const ImportanceMatrix *m_imatrix;
    ModelHparams m_hparams;
    std::vector<TensorPattern> m_patterns;
    MixCounters m_counters;
    bool m_hasOutput = false;
    int m_fallbacks = 0;
};

MixDecision MixWalker::run() {
    const auto order = mixwalk::walkOrder(m_model, m_options.keepSplit);
    for (size_t index : order) {
        const std::string &name = m_model.tensors()[index].info->name;
        if (name.find("attn_v.weight") != std::string::npos || name.find("attn_qkv.weight") != std::string::npos ||
            name.find("attn_kv_b.weight") != std::string::npos)
            ++m_counters.attnVCount;
        else if (name == "output.weight")
            m_hasOutput = true;
    }
    if (m_counters.attnVCount != 0 && m_counters.attnVCount != m_hparams.attentionLayers)
        throw Error("the model has " + std::to_string(m_counters.attnVCount) + " attention value tensors for " +
                    std::to_string(m_hparams.attentionLayers) +
                    " attention layers (llama.cpp: n_attention_wv is unexpected)");

    MixDecision result;
    result.label = &m_label;
    result.fileType = m_label.copyOnly ? m_hparams.fileType : int(m_label.ftype);
    for (size_t index : order) {
        const GgufTensorInfo &info = *m_model.tensors()[index].info;
        TensorDecision d;
        d.tensor = index;
        d.name = info.name;
        d.source = info.type;
        d.target = info.type;
        const Role role = roleOf(info.name, m_hasOutput);

        const char *never = nullptr;
        if (m_label.copyOnly)
            never = "COPY: tensors are copied unchanged";
        else if (info.nDims < 2)
            never = "1-D tensor: never quantized";
        else if (info.name == "output.weight" && m_options.leaveOutputTensor)
            never = "--leave-output-tensor: output.weight left as is";
        else
            never = mixrules::neverQuantizedReason(info.name, m_hparams.architecture);

        if (never) {
            d.reason = std::string(never) + ", kept " + upper(info.type);
        } else {
            d.quantizable = true;
            d.target = chooseType(info, role, d.reason);
            if (d.target == info.type) {
                d.reason += " (already stored as " + upper(info.type) + ": copied)";
            } else {
                if (typeTraits(info.type).quantized && !m_options.allowRequantize)
                    throw Error("requantizing from type " + upper(info.type) + " is disabled (tensor " + info.name +
                                "); pass --allow-requantize to dequantize it first");
                if (!typeTraits(info.type).quantized && info.type != GgmlType::F32 && info.type != GgmlType::F16 &&
                    info.type != GgmlType::BF16)
                    throw Error("cannot convert tensor " + info.name + " of type " + upper(info.type));
                checkImportance(d, info);
            }
        }
        result.tensors.push_back(std::move(d));
    }
    result.fallbackCount = m_fallbacks;
    return result;
}

GgmlType MixWalker::chooseType(const GgufTensorInfo &info, Role role, std::string &reason) {
    // Explicit --token-embedding-type / --output-tensor-type win over everything.
    if (m_options.tokenEmbeddingType && info.name == "token_embd.weight") {
        reason = "--token-embedding-type";
        return *m_options.tokenEmbeddingType;
    }
    if (m_options.outputTensorType && info.name == "output.weight") {
        reason = "--output-tensor-type";
        return *m_options.outputTensorType;
    }
    const GgmlType base = m_label.baseType;
    if (!typeTraits(base).quantized) {
        reason = "label " + std::string(m_label.name) + ": " + upper(base);
        return base;
    }
    // Without output.weight, token_embd doubles as the output and takes the output's type too
    // (inside llama_tensor_get_type, so not with --pure, and the row-length fallback applies).
    if (m_options.outputTensorType && role == Role::Output && !m_options.pure) {
        reason = "--output-tensor-type (token_embd.weight is also the output: the model has no output.weight)";
        return applyFallback(info, *m_options.outputTensorType, reason);
    }
    GgmlType type = base;
    const int manual = mixwalk::firstOverride(m_patterns, info.name);
    if (manual >= 0) {
        type = m_options.tensorTypes[size_t(manual)].type;
        reason = "your override " + m_options.tensorTypes[size_t(manual)].pattern + "=" + upper(type);
    } else {
        if (m_options.pure)
            reason = "--pure: base type " + upper(base);
        else
            type = applyRules(info, role, base, reason);
    }
    return applyFallback(info, type, reason);
}

GgmlType MixWalker::applyRules(const GgufTensorInfo &info, Role role, GgmlType base, std::string &reason) {
    mixrules::RuleContext c = mixwalk::ruleContext(m_label, base, info, m_imatrix != nullptr, m_hparams,
                                                   m_counters.attnV, m_counters.attnVCount);
    const int layers = m_hparams.layers;
    const int experts = std::max(1, m_hparams.experts);
    std::string where;
    switch (role) {
    case Role::FfnDown:
        // The very-low-bit branch counts ffn_down tensors even for MoE models.
        std::tie(c.layer, c.layers) = mixrules::isLowBitLabel(c.ftype)
                                          ? std::pair{m_counters.ffnDown, layers}
                                          : ffnLayer(m_counters.ffnDown, layers, experts, info.name);
        ++m_counters.ffnDown;
        break;
    case Role::FfnGate:
        std::tie(c.layer, c.layers) = ffnLayer(m_counters.ffnGate, layers, experts, info.name);
        ++m_counters.ffnGate;
        break;
    case Role::FfnUp:
        std::tie(c.layer, c.layers) = ffnLayer(m_counters.ffnUp, layers, experts, info.name);
        ++m_counters.ffnUp;
        break;
    case Role::AttnV: ++m_counters.attnV; break;
    default: break;
    }
    if (role == Role::FfnDown || role == Role::FfnGate || role == Role::FfnUp)
        where = " in layer " + std::to_string(c.layer) + " of " + std::to_string(c.layers);
    else if (role == Role::AttnV)
        where = " (#" + std::to_string(c.attnV) + " of " + std::to_string(c.attnVCount) + ")";
    return mixwalk::chooseFromTable(role, c, !mixrules::isLowBitLabel(c.ftype), m_label, where, reason);
}

GgmlType MixWalker::applyFallback(const GgufTensorInfo &info, GgmlType type, std::string &reason) {
    const int64_t block = typeTraits(type).blockSize;
    if (info.ne[0] % block == 0) return type;
    const auto fallback = mixrules::fallbackFor(type);
    if (!fallback)
        throw Error("Unsupported tensor size encountered: tensor " + info.name + " has rows of " +
                    std::to_string(info.ne[0]) + " (tensor cols " + std::to_string(info.ne[0]) + " x " +
                    std::to_string(info.ne[1]) + "), not divisible by " + std::to_string(block) + " as " + upper(type) +
                    " requires, and that type has no fallback");
    GgmlType chosen = *fallback;
    reason += "; row length " + std::to_string(info.ne[0]) + " not a multiple of " + std::to_string(block) +
              " -> fallback " + upper(chosen);
    if (info.ne[0] % typeTraits(chosen).blockSize != 0) {
        chosen = GgmlType::F16;
        reason += ", still not a multiple -> F16";
    }
    ++m_fallbacks;
    return chosen;
}

void MixWalker::checkImportance(TensorDecision &d, const GgufTensorInfo &info) {
    const std::vector<float> *values = m_imatrix ? m_imatrix->find(info.name) : nullptr;
    if (values) {
        const size_t expected = size_t(info.ne[0] * info.ne[2]);
        if (values->size() == expected) {
            d.usesImportance = true;
        } else if (info.name != "token_embd.weight") {
            throw Error("imatrix size " + std::to_string(values->size()) + " is different from tensor size " +
                        std::to_string(expected) + " for " + info.name);
        }
    }
    if (!d.usesImportance && lowBitNeedsImportance(d.target, m_label.ftype, info.name))
        throw Error("Missing importance matrix for tensor " + info.name + " in a very low-bit quantization (" +
                    upper(d.target) + "); the result would be garbage, so QuantBench refuses like llama-quantize");
}

} // namespace

std::vector<MixEntry> MixDecision::mixEntries() const {
    std::vector<MixEntry> out;
    out.reserve(tensors.size());
    for (const auto &t : tensors)
        out.push_back(MixEntry{t.tensor, t.target});
    return out;
}

ImportanceMatrix filterImportance(const ImportanceMatrix &imatrix, const QuantizeOptions &options) {
    auto containsAny = [](const std::string &name, const std::vector<std::string> &patterns) {
        return std::any_of(patterns.begin(), patterns.end(),
                           [&](const std::string &p) { return name.find(p) != std::string::npos; });
    };
    return imatrix.filtered([&](const std::string &name) {
        if (containsAny(name, options.excludeWeights)) return false;
        return options.includeWeights.empty() || containsAny(name, options.includeWeights);
    });
}

MixDecision decideMix(const GgufModel &model, const QuantLabel &requested, const QuantizeOptions &options,
                      const ImportanceMatrix *imatrix) {
    const QuantLabel &label = resolveAlias(requested);
    if (imatrix && imatrix->entries().empty()) imatrix = nullptr;
    if (options.rules == RuleSet::R2026_09) return decideMix2026(model, label, options, imatrix);
    if (!options.pruneLayers.empty())
        throw Error("--prune-layers needs the 2026-09 rule set (llama.cpp b4748 has no such option)");
    if (!findQuantLabel(label.name, RuleSet::B4748))
        throw Error(std::string("label ") + label.name + " does not exist in llama.cpp b4748 (use --rules 2026-09)");
    if (label.needsImportance && !imatrix)
        throw Error(std::string("label ") + label.name +
                    " needs an importance matrix (llama-quantize: 'Please do not use IQ1_S, IQ1_M, IQ2_S, IQ2_XXS, "
                    "IQ2_XS or Q2_K_S quantization without an importance matrix'); pass --imatrix FILE");
    MixWalker walker(model, label, options, imatrix);
    return walker.run();
}

} // namespace qb
