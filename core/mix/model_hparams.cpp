#include "mix/model_hparams.h"

#include "error.h"
#include "mix/quant_label.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace qb {
namespace {

// A per-layer hyperparameter: a scalar, or an array with one value per layer.
std::vector<int64_t> perLayer(const GgufModel &model, const std::string &key, int layers, int64_t fallback) {
    std::vector<int64_t> values(size_t(std::max(layers, 1)), fallback);
    const GgufValue *v = model.find(key);
    if (!v) return values;
    if (const auto *arr = v->array()) {
        for (size_t i = 0; i < values.size() && i < arr->items.size(); ++i)
            if (auto x = arr->items[i].toInt()) values[i] = *x;
    } else if (auto x = v->toInt()) {
        std::fill(values.begin(), values.end(), *x);
    }
    return values;
}

int intOr(const GgufModel &model, const std::string &key, int fallback) {
    const GgufValue *v = model.find(key);
    if (!v) return fallback;
    const auto x = v->toInt();
    if (!x || *x < 0 || *x > 1'000'000) throw Error("metadata key " + key + " holds an unusable value");
    return int(*x);
}

// llama_model_loader's guess from the most common tensor type, marked with LLAMA_FTYPE_GUESSED.
int guessFileType(const GgufModel &model) {
    static const std::map<GgmlType, int> kFtypeOf = {
        {GgmlType::F32, 0},     {GgmlType::F16, 1},     {GgmlType::BF16, 32},    {GgmlType::Q4_0, 2},
        {GgmlType::Q4_1, 3},    {GgmlType::Q5_0, 8},    {GgmlType::Q5_1, 9},     {GgmlType::Q8_0, 7},
        {GgmlType::Q2_K, 10},   {GgmlType::Q3_K, 12},   {GgmlType::Q4_K, 15},    {GgmlType::Q5_K, 17},
        {GgmlType::Q6_K, 18},   {GgmlType::TQ1_0, 36},  {GgmlType::TQ2_0, 37},   {GgmlType::IQ2_XXS, 19},
        {GgmlType::IQ2_XS, 20}, {GgmlType::IQ2_S, 28},  {GgmlType::IQ3_XXS, 23}, {GgmlType::IQ1_S, 24},
        {GgmlType::IQ1_M, 31},  {GgmlType::IQ4_NL, 25}, {GgmlType::IQ4_XS, 30},  {GgmlType::IQ3_S, 26},
    };
    std::map<GgmlType, int> counts;
    int best = 0;
    GgmlType bestType = GgmlType::F32;
    for (const auto &t : model.tensors()) {
        const int n = ++counts[t.info->type];
        if (n > best) {
            best = n;
            bestType = t.info->type;
        }
    }
    const auto it = kFtypeOf.find(bestType);
    return (it == kFtypeOf.end() ? 0 : it->second) | 1024;
}

// llama.cpp's LLM_TYPE_70B (llama-model.cpp, load_hparams), which only the attn_v rule reads:
// 80-layer llama without 8 experts whose heads share key/value heads, and any 80-layer deci,
// qwen2 (qwen2vl shares its case) or olmo.
bool isLlama70B(const std::string &arch, int layers, int experts, int64_t heads, int64_t kvHeads) {
    if (layers != 80) return false;
    if (arch == "llama") return experts != 8 && heads != kvHeads;
    return arch == "deci" || arch == "qwen2" || arch == "qwen2vl" || arch == "olmo";
}

} // namespace

ModelHparams ModelHparams::read(const GgufModel &model) {
    ModelHparams h;
    const GgufValue *arch = model.find("general.architecture");
    h.architecture = arch && arch->string() ? *arch->string() : std::string();
    const std::string p = h.architecture + ".";
    h.layers = intOr(model, p + "block_count", 0);
    h.experts = intOr(model, p + "expert_count", 0);
    const auto heads = perLayer(model, p + "attention.head_count", h.layers, 0);
    std::vector<int64_t> kvHeads = perLayer(model, p + "attention.head_count_kv", h.layers, -1);
    for (size_t i = 0; i < kvHeads.size(); ++i)
        if (kvHeads[i] < 0) kvHeads[i] = heads[i]; // llama.cpp: n_head_kv defaults to n_head
    h.gqa = kvHeads[0] > 0 ? int(heads[0] / kvHeads[0]) : 0;
    int withAttention = 0;
    for (int i = 0; i < h.layers; ++i)
        withAttention += kvHeads[size_t(i)] != 0;
    // Encoder-decoder models (T5) have three attention blocks per layer.
    h.attentionLayers = (h.architecture == "t5" ? 3 : 1) * withAttention;
    h.is70B = isLlama70B(h.architecture, h.layers, h.experts, heads[0], kvHeads[0]);
    const GgufValue *ft = model.find("general.file_type");
    const auto ftValue = ft ? ft->toInt() : std::nullopt;
    h.fileType = ftValue ? int(*ftValue) : guessFileType(model);
    return h;
}

std::vector<size_t> llamaQuantizeOrder(const GgufModel &model) {
    struct Key {
        int layer;
        const std::string *name;
        size_t index;
    };
    std::vector<Key> keys;
    keys.reserve(model.tensors().size());
    for (size_t i = 0; i < model.tensors().size(); ++i) {
        const std::string &name = model.tensors()[i].info->name;
        int layer = -1;
        if (std::sscanf(name.c_str(), "blk.%d.", &layer) != 1) layer = -1;
        keys.push_back({layer, &name, i});
    }
    std::sort(keys.begin(), keys.end(), [](const Key &a, const Key &b) {
        if (a.layer != b.layer) return a.layer < b.layer;
        return *a.name < *b.name;
    });
    std::vector<size_t> order;
    order.reserve(keys.size());
    for (const auto &k : keys)
        order.push_back(k.index);
    return order;
}

} // namespace qb
