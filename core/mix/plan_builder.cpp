// buildExecutionPlan(): llama-quantize's metadata edits and importance lookup, in its order.
#include "mix/plan_builder.h"

#include "error.h"
#include "imatrix/importance_matrix.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace qb {
namespace {

// gguf_set_val_*: an existing key is removed and the new value appended at the end.
void setValue(std::vector<GgufKeyValue> &metadata, const std::string &key, GgufValue value) {
    std::erase_if(metadata, [&](const GgufKeyValue &kv) { return kv.key == key; });
    metadata.push_back(GgufKeyValue{key, std::move(value)});
}

bool isSplitKey(const std::string &key) {
    return key == "split.no" || key == "split.count" || key == "split.tensors.count";
}

} // namespace

GgufKeyValue parseKvOverride(std::string_view text) {
    const auto fail = [&](const std::string &why) -> GgufKeyValue {
        throw Error("--override-kv '" + std::string(text) + "': " + why +
                    " (expected KEY=TYPE:VALUE, TYPE int, float, bool or str)");
    };
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0) return fail("no KEY= part");
    if (eq > kMaxOverrideStringBytes) return fail("the key is longer than 127 characters");
    GgufKeyValue kv;
    kv.key = std::string(text.substr(0, eq));
    const std::string_view rest = text.substr(eq + 1);
    auto valueAfter = [&](std::string_view prefix) -> std::optional<std::string_view> {
        if (rest.substr(0, prefix.size()) == prefix) return rest.substr(prefix.size());
        return std::nullopt;
    };
    if (auto v = valueAfter("int:")) {
        int64_t x = 0;
        const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
        if (v->empty() || ec != std::errc() || p != v->data() + v->size())
            return fail("'" + std::string(*v) + "' is not an integer");
        if (x < INT32_MIN || x > INT32_MAX)
            return fail("integer overrides are stored as int32 (as llama-quantize does)");
        kv.value = GgufValue(int32_t(x));
    } else if (auto v = valueAfter("float:")) {
        const std::string s(*v);
        char *end = nullptr;
        const double x = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0') return fail("'" + s + "' is not a number");
        kv.value = GgufValue(float(x));
    } else if (auto v = valueAfter("bool:")) {
        if (*v == "true")
            kv.value = GgufValue(true);
        else if (*v == "false")
            kv.value = GgufValue(false);
        else
            return fail("a bool must be true or false");
    } else if (auto v = valueAfter("str:")) {
        if (v->size() > kMaxOverrideStringBytes) return fail("string overrides are limited to 127 characters");
        kv.value = GgufValue(std::string(*v));
    } else {
        return fail("unknown value type");
    }
    return kv;
}

ExecutionPlan buildExecutionPlan(const GgufModel &model, const MixDecision &mix,
                                 std::shared_ptr<const ImportanceMatrix> imatrix, const PlanOptions &options) {
    ExecutionPlan plan;
    plan.rules = mix.rules;
    for (const auto &kv : model.metadata())
        if (!isSplitKey(kv.key)) plan.metadata.push_back(kv);
    setValue(plan.metadata, "general.quantization_version", GgufValue(uint32_t(2)));
    setValue(plan.metadata, "general.file_type", GgufValue(uint32_t(mix.fileType)));
    // llama.cpp 2026-09 stores integer overrides as u32 of their absolute value (ggml-org/llama.cpp#14182).
    const bool intsAsU32 = mix.rules == RuleSet::R2026_09;
    auto integer = [&](int64_t v) {
        return intsAsU32 ? GgufValue(uint32_t(v < 0 ? -v : v)) : GgufValue(int32_t(v));
    };
    for (const auto &kv : options.kvOverrides) {
        if (intsAsU32 && kv.value.type() == GgufValueType::Int32)
            setValue(plan.metadata, kv.key, integer(*kv.value.toInt()));
        else
            setValue(plan.metadata, kv.key, kv.value);
    }
    if (imatrix && !imatrix->entries().empty()) {
        // quantize.cpp adds these as overrides after the user's, only when importance data is left
        // after --include/--exclude-weights, its strings cut to the 127 bytes an override holds.
        auto overrideString = [](const std::string &s) { return GgufValue(s.substr(0, kMaxOverrideStringBytes)); };
        if (!options.imatrixFile.empty())
            setValue(plan.metadata, "quantize.imatrix.file", overrideString(options.imatrixFile));
        if (!imatrix->dataset().empty())
            setValue(plan.metadata, "quantize.imatrix.dataset", overrideString(imatrix->dataset()));
        setValue(plan.metadata, "quantize.imatrix.entries_count", integer(int64_t(imatrix->entries().size())));
        if (imatrix->chunkCount() > 0)
            setValue(plan.metadata, "quantize.imatrix.chunks_count", integer(int64_t(imatrix->chunkCount())));
    }
    // --prune-layers: the new layer count, set after the overrides as llama.cpp does.
    if (mix.blockCount >= 0) {
        std::string arch;
        for (const auto &kv : model.metadata())
            if (kv.key == "general.architecture" && kv.value.string()) arch = *kv.value.string();
        setValue(plan.metadata, arch + ".block_count", GgufValue(uint32_t(mix.blockCount)));
    }

    plan.tensors.reserve(mix.tensors.size());
    for (const auto &d : mix.tensors) {
        if (d.tensor >= model.tensors().size() || model.tensors()[d.tensor].info->name != d.name)
            throw std::logic_error("mix decision does not belong to this model (tensor " + d.name + ")");
        PlannedTensor t;
        t.source = d.tensor;
        t.target = d.target;
        t.outputName = d.outputName;
        if (d.usesImportance && imatrix && d.target != d.source)
            if (const auto *values = imatrix->find(d.name)) t.importance = *values;
        plan.tensors.push_back(t);
    }
    plan.importanceOwner = std::move(imatrix);
    return plan;
}

std::vector<SplitOutput> buildSplitPlans(const GgufModel &model, const MixDecision &mix,
                                         std::shared_ptr<const ImportanceMatrix> imatrix, const PlanOptions &options,
                                         const std::filesystem::path &output) {
    const ExecutionPlan whole = buildExecutionPlan(model, mix, std::move(imatrix), options);
    const size_t count = model.splitCount();
    std::string prefix = output.string();
    constexpr std::string_view kSuffix = ".gguf";
    if (prefix.size() >= kSuffix.size() && prefix.compare(prefix.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0)
        prefix.resize(prefix.size() - kSuffix.size());
    std::vector<SplitOutput> outputs(count);
    for (size_t i = 0; i < count; ++i) {
        char suffix[64];
        std::snprintf(suffix, sizeof suffix, "-%05zu-of-%05zu.gguf", i + 1, count);
        outputs[i].path = prefix + suffix;
        outputs[i].plan.metadata = whole.metadata;
        outputs[i].plan.importanceOwner = whole.importanceOwner;
        outputs[i].plan.rules = whole.rules;
        if (count > 1) {
            setValue(outputs[i].plan.metadata, "split.no", GgufValue(uint16_t(i)));
            setValue(outputs[i].plan.metadata, "split.count", GgufValue(uint16_t(count)));
            setValue(outputs[i].plan.metadata, "split.tensors.count", GgufValue(int32_t(model.tensors().size())));
        }
    }
    for (const auto &t : whole.tensors)
        outputs[model.tensors()[t.source].split].plan.tensors.push_back(t);
    return outputs;
}

} // namespace qb
