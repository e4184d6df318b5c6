// decideMix() for the 2026-09 rule set: llama.cpp 0ad4a86's llama_model_quantize_impl and
// llama_tensor_get_type. The type choices come from the shared rule table (mix_rule_table.h);
// this file holds what changed in the control flow since b4748:
// - tensors are sorted into categories once; attn_qkv and attn_kv_b follow the attn_v rules (and
//   count as attention value tensors), per_layer_token_embd is a token embedding;
// - embeddings are tied when there is no output.weight: then every token embedding takes the
//   output's rules (and --output-tensor-type, inside the rules, so the fallback applies);
// - --tensor-type overrides apply with --pure too;
// - the row-length fallback has a new table and turns 32-wide types into F16 instead of refusing;
// - importance data is required per tensor (IQ3_XXS joins the very-low-bit types; token
//   embeddings and output never need it) instead of per label;
// - --prune-layers drops layers and renumbers the rest.
#include "mix/mix_walker_2026.h"

#include "error.h"
#include "imatrix/importance_matrix.h"
#include "mix/mix_rule_table.h"
#include "mix/mix_walk_steps.h"
#include "mix/model_hparams.h"
#include "mix/tensor_pattern.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace qb {
namespace {

using mixrules::Role;
using mixwalk::upper;

bool isTokenEmbedding(const std::string &name) {
    return name == "token_embd.weight" || name == "per_layer_token_embd.weight";
}

// tensor_get_category(): exact names first, then substrings in this order.
Role categoryOf(const std::string &name) {
    if (name == "output.weight") return Role::Output;
    if (isTokenEmbedding(name)) return Role::TokenEmbd;
    static const std::pair<const char *, Role> kCategories[] = {
        {"attn_qkv.weight", Role::AttnQkv}, {"attn_kv_b.weight", Role::AttnV}, {"attn_v.weight", Role::AttnV},
        {"attn_k.weight", Role::AttnK},     {"attn_q.weight", Role::AttnQ},    {"attn_output.weight", Role::AttnOutput},
        {"ffn_up", Role::FfnUp},            {"ffn_gate", Role::FfnGate},       {"ffn_down", Role::FfnDown},
    };
    for (const auto &[text, role] : kCategories)
        if (name.find(text) != std::string::npos) return role;
    return Role::Other;
}

// attn_v, attn_qkv and attn_kv_b share the attn_v rules and the n_attention_wv counter.
Role ruleRole(Role category) { return category == Role::AttnQkv ? Role::AttnV : category; }

// ggml_n_dims(): trailing dimensions of 1 do not count.
int dimsOf(const GgufTensorInfo &info) {
    int n = 1;
    for (int i = 1; i < int(info.ne.size()); ++i)
        if (info.ne[i] > 1) n = i + 1;
    return n;
}

// tensor_requires_imatrix().
bool requiresImportance(const std::string &name, GgmlType type, LlamaFtype ftype) {
    if (isTokenEmbedding(name) || name == "output.weight") return false;
    switch (type) {
    case GgmlType::IQ3_XXS:
    case GgmlType::IQ2_XXS:
    case GgmlType::IQ2_XS:
    case GgmlType::IQ2_S:
    case GgmlType::IQ1_M:
    case GgmlType::IQ1_S: return true;
    case GgmlType::Q2_K: return ftype == LlamaFtype::Q2_K_S;
    default: return false;
    }
}

// remap_layer(): blk.N of a pruned layer disappears (empty name); layers after the first pruned
// one are renumbered consecutively in the order tensors are met.
class LayerRenamer {
  public:
    explicit LayerRenamer(const std::vector<int> &prune) : m_prune(prune) {}

    std::string rename(const std::string &name) {
        if (m_prune.empty()) return name;
        int layer = -1, prefix = 0;
        if (std::sscanf(name.c_str(), "blk.%d.%n", &layer, &prefix) != 1 || prefix == 0 || layer < 0) return name;
        auto it = m_mapped.find(layer);
        if (it == m_mapped.end()) {
            std::string to;
            if (std::find(m_prune.begin(), m_prune.end(), layer) != m_prune.end()) {
                to = "";
            } else if (layer < m_prune.front()) {
                to = std::to_string(layer);
                m_next = layer + 1;
            } else {
                to = std::to_string(m_next++);
            }
            it = m_mapped.emplace(layer, to).first;
        }
        if (it->second.empty()) return {};
        return "blk." + it->second + "." + name.substr(size_t(prefix));
    }

    int nextLayer() const { return m_next; }

  private:
    const std::vector<int> &m_prune;
    std::map<int, std::string> m_mapped;
    int m_next = 0;
};

struct Counters {
    int attnVCount = 0, attnV = 0, ffnDown = 0, ffnGate = 0, ffnUp = 0;
};

class Walker2026 {
  public:
    Walker2026(const GgufModel &model, const QuantLabel &label, const QuantizeOptions &options,
               const ImportanceMatrix *imatrix)
        : m_model(model), m_label(label), m_options(options), m_imatrix(imatrix), m_hparams(ModelHparams::read(model)),
          m_patterns(mixwalk::compileOverrides(options)) {}

    MixDecision run();

  private:
    struct Entry {
        size_t index;
        std::string name; // after --prune-layers
        Role category;
    };

    GgmlType chooseType(const GgufTensorInfo &info, const Entry &e, std::string &reason);
    GgmlType applyRules(const GgufTensorInfo &info, const Entry &e, GgmlType base, std::string &reason);
    GgmlType applyFallback(const GgufTensorInfo &info, GgmlType type, std::string &reason);
    std::pair<int, int> ffnLayer(int counter, const std::string &name) const;

    const GgufModel &m_model;
    const QuantLabel &m_label;
    const QuantizeOptions &m_options;
    const ImportanceMatrix *m_imatrix;
    ModelHparams m_hparams;
    std::vector<TensorPattern> m_patterns;
    Counters m_counters;
    bool m_tied = true;
    int m_fallbacks = 0;
};

MixDecision Walker2026::run() {
    const auto order = mixwalk::walkOrder(m_model, m_options.keepSplit);

    MixDecision result;
    result.label = &m_label;
    result.rules = RuleSet::R2026_09;
    result.fileType = m_label.copyOnly ? m_hparams.fileType : int(m_label.ftype);

    // Pruning happens while the tensor list is made, before anything is counted.
    std::vector<int> prune = m_options.pruneLayers;
    std::sort(prune.begin(), prune.end());
    prune.erase(std::unique(prune.begin(), prune.end()), prune.end());
    if (!prune.empty() && prune.front() < 0)
        throw Error("--prune-layers: invalid layer id " + std::to_string(prune.front()));
    LayerRenamer renamer(prune);
    std::vector<Entry> entries;
    for (size_t index : order) {
        std::string name = renamer.rename(m_model.tensors()[index].info->name);
        if (name.empty()) continue;
        const Role category = categoryOf(name);
        if (category == Role::AttnV || category == Role::AttnQkv) ++m_counters.attnVCount;
        if (category == Role::Output) m_tied = false;
        entries.push_back({index, std::move(name), category});
    }
    if (!prune.empty()) result.blockCount = renamer.nextLayer();

    // The preliminary loop: every type is chosen, and without any importance data a tensor that
    // needs it is refused before anything is written.
    std::vector<bool> needsImatrix(entries.size(), false);
    for (size_t i = 0; i < entries.size(); ++i) {
        const Entry &e = entries[i];
        const GgufTensorInfo &info = *m_model.tensors()[e.index].info;
        TensorDecision d;
        d.tensor = e.index;
        d.name = info.name;
        if (e.name != info.name) d.outputName = e.name;
        d.source = info.type;
        d.target = info.type;

        const char *never = nullptr;
        if (m_label.copyOnly)
            never = "COPY: tensors are copied unchanged";
        else if (dimsOf(info) < 2)
            never = "1-D tensor: never quantized";
        else if (e.name == "output.weight" && m_options.leaveOutputTensor)
            never = "--leave-output-tensor: output.weight left as is";
        else
            never = mixrules::neverQuantizedReason2026(e.name);

        if (never) {
            d.reason = std::string(never) + ", kept " + upper(info.type);
        } else {
            d.quantizable = true;
            d.target = chooseType(info, e, d.reason);
            needsImatrix[i] = requiresImportance(e.name, d.target, m_label.ftype);
            if (needsImatrix[i] && !m_imatrix && m_options.dryRun && result.importanceWarning.empty())
                result.importanceWarning = e.name + " (" + upper(d.target) + ")";
            if (needsImatrix[i] && !m_imatrix && !m_options.dryRun)
                throw Error("this quantization requires an importance matrix: tensor " + e.name + " gets " +
                            upper(d.target) + " (llama-quantize refuses it without one); pass --imatrix FILE");
        }
        result.tensors.push_back(std::move(d));
    }

    // The main loop's checks, tensor by tensor, for those that change type.
    for (size_t i = 0; i < entries.size(); ++i) {
        TensorDecision &d = result.tensors[i];
        const GgufTensorInfo &info = *m_model.tensors()[d.tensor].info;
        if (d.target == d.source) {
            if (d.quantizable) d.reason += " (already stored as " + upper(info.type) + ": copied)";
            continue;
        }
        // Importance data is looked up under the tensor's name before pruning renumbered it.
        if (const std::vector<float> *values = m_imatrix ? m_imatrix->find(info.name) : nullptr) {
            const size_t expected = size_t(info.ne[0] * info.ne[2]);
            if (values->size() == expected)
                d.usesImportance = true;
            else if (!isTokenEmbedding(entries[i].name) && !m_options.dryRun)
                throw Error("imatrix size " + std::to_string(values->size()) + " is different from tensor size " +
                            std::to_string(expected) + " for " + info.name);
        }
        // llama-quantize's --dry-run stops here: it neither reads data nor refuses.
        if (m_options.dryRun) continue;
        if (!d.usesImportance && needsImatrix[i])
            throw Error("Missing importance matrix for tensor " + entries[i].name + " in a very low-bit quantization (" +
                        upper(d.target) + "); the result would be garbage, so QuantBench refuses like llama-quantize");
        if (typeTraits(info.type).quantized && !m_options.allowRequantize)
            throw Error("requantizing from type " + upper(info.type) + " is disabled (tensor " + info.name +
                        "); pass --allow-requantize to dequantize it first");
        if (!typeTraits(info.type).quantized && info.type != GgmlType::F32 && info.type != GgmlType::F16 &&
            info.type != GgmlType::BF16)
            throw Error("cannot dequantize/convert tensor " + info.name + " of type " + upper(info.type));
    }
    result.fallbackCount = m_fallbacks;
    return result;
}

GgmlType Walker2026::chooseType(const GgufTensorInfo &info, const Entry &e, std::string &reason) {
    if (m_options.tokenEmbeddingType && e.category == Role::TokenEmbd) {
        // per_layer_token_embd follows --token-embedding-type unless a --tensor-type names it.
        const bool named = e.name == "per_layer_token_embd.weight" &&
                           std::any_of(m_patterns.begin(), m_patterns.end(),
                                       [&](const TensorPattern &p) { return p.search(e.name); });
        if (!named) {
            reason = "--token-embedding-type";
            return *m_options.tokenEmbeddingType;
        }
    }
    if (m_options.outputTensorType && e.category == Role::Output) {
        reason = "--output-tensor-type";
        return *m_options.outputTensorType;
    }
    const GgmlType base = m_label.baseType;
    if (!typeTraits(base).quantized) {
        reason = "label " + std::string(m_label.name) + ": " + upper(base);
        return base;
    }
    GgmlType type = base;
    const int manual = mixwalk::firstOverride(m_patterns, e.name);
    if (manual >= 0) {
        type = m_options.tensorTypes[size_t(manual)].type;
        reason = "your override " + m_options.tensorTypes[size_t(manual)].pattern + "=" + upper(type) +
                 (m_options.pure ? " (applies with --pure too)" : "");
    } else {
        if (m_options.pure)
            reason = "--pure: base type " + upper(base);
        else
            type = applyRules(info, e, base, reason);
    }
    return applyFallback(info, type, reason);
}

std::pair<int, int> Walker2026::ffnLayer(int counter, const std::string &name) const {
    return mixwalk::ffnLayer(counter, m_hparams.layers, m_hparams.experts, name);
}

GgmlType Walker2026::applyRules(const GgufTensorInfo &info, const Entry &e, GgmlType base, std::string &reason) {
    // Tied embeddings: every token embedding is also the output.
    const bool asOutput = e.category == Role::Output || (m_tied && e.category == Role::TokenEmbd);
    if (asOutput && m_options.outputTensorType) {
        reason = "--output-tensor-type (" + e.name + " is also the output: the model has no output.weight)";
        return *m_options.outputTensorType;
    }
    const Role role = asOutput ? Role::Output : ruleRole(e.category);

    mixrules::RuleContext c = mixwalk::ruleContext(m_label, base, info, m_imatrix != nullptr, m_hparams,
                                                   m_counters.attnV, m_counters.attnVCount);
    c.role = role;
    c.threeD = info.ne[2] > 1;
    c.bailingMoe3 = m_hparams.architecture == "bailingmoe3";

    // Counters move only in the branches that keep them: not for MXFP4_MOE, and in the
    // very-low-bit branch only for attention values and ffn_down.
    const bool lowBit = mixrules::isLowBitLabel(c.ftype);
    const bool counted = !asOutput && c.ftype != LlamaFtype::MXFP4_MOE && role != Role::TokenEmbd;
    std::string where;
    if (counted) {
        switch (role) {
        case Role::FfnDown:
            std::tie(c.layer, c.layers) =
                lowBit ? std::pair{m_counters.ffnDown, m_hparams.layers} : ffnLayer(m_counters.ffnDown, e.name);
            ++m_counters.ffnDown;
            break;
        case Role::FfnGate:
            if (lowBit) break;
            std::tie(c.layer, c.layers) = ffnLayer(m_counters.ffnGate, e.name);
            ++m_counters.ffnGate;
            break;
        case Role::FfnUp:
            if (lowBit) break;
            std::tie(c.layer, c.layers) = ffnLayer(m_counters.ffnUp, e.name);
            ++m_counters.ffnUp;
            break;
        case Role::AttnV: ++m_counters.attnV; break;
        default: break;
        }
        if (role == Role::FfnDown || ((role == Role::FfnGate || role == Role::FfnUp) && !lowBit))
            where = " in layer " + std::to_string(c.layer) + " of " + std::to_string(c.layers);
        else if (role == Role::AttnV)
            where = " (#" + std::to_string(c.attnV) + " of " + std::to_string(c.attnVCount) + ")";
    }
    if (e.category == Role::AttnQkv || e.name.find("attn_kv_b.weight") != std::string::npos)
        where += " [" + std::string(e.category == Role::AttnQkv ? "attn_qkv" : "attn_kv_b") + " follows attn_v]";

    return mixwalk::chooseFromTable(role, c, !lowBit && c.ftype != LlamaFtype::MXFP4_MOE, m_label, where, reason);
}

GgmlType Walker2026::applyFallback(const GgufTensorInfo &info, GgmlType type, std::string &reason) {
    const int64_t block = typeTraits(type).blockSize;
    if (info.ne[0] % block == 0) return type;
    ++m_fallbacks;
    const auto fallback = mixrules::fallbackFor2026(type);
    if (!fallback)
        throw Error("no tensor type fallback is defined for type " + std::string(typeName(type)) + ": tensor " +
                    info.name + " has rows of " + std::to_string(info.ne[0]) + ", not a multiple of " +
                    std::to_string(block));
    GgmlType chosen = *fallback;
    reason += "; row length " + std::to_string(info.ne[0]) + " not a multiple of " + std::to_string(block);
    if (info.ne[0] % typeTraits(chosen).blockSize != 0) {
        chosen = GgmlType::F16;
        reason += " -> F16 (no fallback fits)";
    } else {
        reason += " -> fallback " + upper(chosen);
    }
    return chosen;
}

} // namespace

MixDecision decideMix2026(const GgufModel &model, const QuantLabel &label, const QuantizeOptions &options,
                          const ImportanceMatrix *imatrix) {
    Walker2026 walker(model, label, options, imatrix);
    return walker.run();
}

} // namespace qb
