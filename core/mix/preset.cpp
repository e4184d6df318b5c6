// Preset JSON: {"format": "quantbench-preset", "version": 1, "base_label": ..., "rules": [...],
// "tensor_types": {...}, "output_tensor_type", "token_embedding_type", "pure",
// "leave_output_tensor", "allow_requantize", "imatrix": {"file", "include_weights",
// "exclude_weights"}, "prune_layers", "notes"}. Validation names the JSON path of the first bad field.
#include "mix/preset.h"

#include "bounded_read.h"
#include "error.h"
#include "gguf/gguf_file.h"
#include "gguf/output_file.h"
#include "mix/option_values.h"
#include "mix/tensor_pattern.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

namespace qb {
namespace {

using nlohmann::json;

constexpr const char *kFormatName = "quantbench-preset";
constexpr size_t kMaxPresetBytes = 16u << 20;

std::string upperTypeName(GgmlType type) {
    std::string s = typeName(type);
    for (char &c : s)
        c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

class PresetReader {
  public:
    explicit PresetReader(std::string source) : m_source(std::move(source)) {}

    [[noreturn]] void fail(const std::string &field, const std::string &why) const {
        throw Error(m_source + ": " + field + ": " + why);
    }

    const json &member(const json &obj, const char *key, const std::string &path, json::value_t type,
                       bool required) const {
        static const json kNull;
        const auto it = obj.find(key);
        if (it == obj.end() || (it->is_null() && !required)) {
            if (required) fail(path, "missing");
            return kNull;
        }
        const bool ok = it->type() == type || (type == json::value_t::number_integer && it->is_number_integer());
        if (!ok) fail(path, std::string("expected ") + json(type).type_name() + ", found " + it->type_name());
        return *it;
    }

    GgmlType type(const json &value, const std::string &path) const {
        if (!value.is_string()) fail(path, std::string("expected a type name, found ") + value.type_name());
        const auto t = typeFromName(value.get<std::string>());
        if (!t || (!typeTraits(*t).quantized && *t != GgmlType::F32 && *t != GgmlType::F16 && *t != GgmlType::BF16))
            fail(path, "unknown or unusable type '" + value.get<std::string>() + "'");
        return *t;
    }

    std::optional<GgmlType> optionalType(const json &obj, const char *key) const {
        const auto it = obj.find(key);
        if (it == obj.end() || it->is_null()) return std::nullopt;
        return type(*it, key);
    }

    bool flag(const json &obj, const char *key) const {
        const json &v = member(obj, key, key, json::value_t::boolean, false);
        return v.is_null() ? false : v.get<bool>();
    }

    std::vector<std::string> strings(const json &obj, const char *key, const std::string &path) const {
        std::vector<std::string> out;
        const json &arr = member(obj, key, path, json::value_t::array, false);
        if (arr.is_null()) return out;
        for (size_t i = 0; i < arr.size(); ++i) {
            if (!arr[i].is_string() || arr[i].get<std::string>().empty())
                fail(path + "[" + std::to_string(i) + "]", "expected a non-empty string");
            out.push_back(arr[i].get<std::string>());
        }
        return out;
    }

  private:
    std::string m_source;
};

std::string shellQuote(const std::string &s) {
    const bool plain =
        !s.empty() && s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./=:,+") ==
                          std::string::npos;
    if (plain) return s;
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out.append("'\\''");
        else
            out.push_back(c);
    }
    out.push_back('\'');
    return out;
}

} // namespace

std::string exactNamePattern(const std::string &tensorName) {
    std::string out = "^";
    for (char c : tensorName) {
        if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out + "$";
}

MixPreset MixPreset::fromJson(const std::string &jsonText, const std::string &sourceName) {
    PresetReader r(sourceName);
    json doc;
    try {
        doc = json::parse(jsonText);
    } catch (const json::exception &e) {
        // parse_error, and out_of_range for a number beyond double (1E999999): both bad input.
        throw Error(sourceName + ": not valid JSON: " + e.what());
    }
    if (!doc.is_object()) r.fail("(document)", "expected a JSON object");
    static const std::set<std::string> kKnown = {"format",
                                                 "version",
                                                 "base_label",
                                                 "rule_set",
                                                 "rules",
                                                 "tensor_types",
                                                 "output_tensor_type",
                                                 "token_embedding_type",
                                                 "pure",
                                                 "leave_output_tensor",
                                                 "allow_requantize",
                                                 "imatrix",
                                                 "prune_layers",
                                                 "notes"};
    for (const auto &[key, value] : doc.items())
        if (!kKnown.count(key)) r.fail(key, "unknown field (a typo?)");
    if (r.member(doc, "format", "format", json::value_t::string, true).get<std::string>() != kFormatName)
        r.fail("format", std::string("expected \"") + kFormatName + "\"");
    // Compared as the JSON number it is: get<int>() would truncate 4294967297 to 1 and accept it.
    const json &versionValue = r.member(doc, "version", "version", json::value_t::number_integer, true);
    const bool versionKnown = versionValue.is_number_unsigned()
                                  ? versionValue.get<uint64_t>() >= 1 && versionValue.get<uint64_t>() <= uint64_t(kFormatVersion)
                                  : versionValue.get<int64_t>() >= 1 && versionValue.get<int64_t>() <= kFormatVersion;
    if (!versionKnown)
        r.fail("version", "version " + versionValue.dump() + " is not supported (this build reads 1 to " +
                              std::to_string(kFormatVersion) + ")");

    MixPreset p;
    // Presets from before rule sets were made with b4748: keep reproducing their files.
    p.ruleSet = RuleSet::B4748;
    const json &ruleSet = r.member(doc, "rule_set", "rule_set", json::value_t::string, false);
    if (!ruleSet.is_null()) {
        const auto parsed = ruleSetFromName(ruleSet.get<std::string>());
        if (!parsed) r.fail("rule_set", "unknown rule set '" + ruleSet.get<std::string>() + "' (b4748 or 2026-09)");
        p.ruleSet = *parsed;
    }
    p.baseLabel = r.member(doc, "base_label", "base_label", json::value_t::string, true).get<std::string>();
    if (!findQuantLabel(p.baseLabel, p.ruleSet))
        r.fail("base_label", "unknown label '" + p.baseLabel + "' for rule set " + ruleSetName(p.ruleSet));

    const json &rules = r.member(doc, "rules", "rules", json::value_t::array, false);
    for (size_t i = 0; !rules.is_null() && i < rules.size(); ++i) {
        const std::string path = "rules[" + std::to_string(i) + "]";
        if (!rules[i].is_object()) r.fail(path, "expected an object {\"pattern\", \"type\"}");
        TensorTypeOverride o;
        // Lower-cased as the exported --tensor-type will be by llama-quantize, so both match the same.
        o.pattern = llamaQuantizePattern(
            r.member(rules[i], "pattern", path + ".pattern", json::value_t::string, true).get<std::string>());
        if (const auto why = TensorPattern::problem(o.pattern)) r.fail(path + ".pattern", *why);
        if (o.pattern.empty() || o.pattern.find('=') != std::string::npos)
            r.fail(path + ".pattern", "must be non-empty and free of '=' (llama-quantize splits PATTERN=TYPE at '=')");
        o.type = r.type(r.member(rules[i], "type", path + ".type", json::value_t::string, true), path + ".type");
        p.rules.push_back(std::move(o));
    }
    const json &tensors = r.member(doc, "tensor_types", "tensor_types", json::value_t::object, false);
    if (!tensors.is_null())
        for (const auto &[name, value] : tensors.items()) {
            // Such a name can match no tensor, and it becomes a regex (exactNamePattern): refuse it.
            if (name.size() > kGgufMaxTensorName)
                r.fail("tensor_types." + name.substr(0, 80) + (name.size() > 80 ? "..." : ""),
                       "longer than " + std::to_string(kGgufMaxTensorName) + " bytes, the longest GGUF tensor name");
            p.tensorTypes[name] = r.type(value, "tensor_types." + name);
        }
    p.outputTensorType = r.optionalType(doc, "output_tensor_type");
    p.tokenEmbeddingType = r.optionalType(doc, "token_embedding_type");
    p.pure = r.flag(doc, "pure");
    p.leaveOutputTensor = r.flag(doc, "leave_output_tensor");
    p.allowRequantize = r.flag(doc, "allow_requantize");
    const json &im = r.member(doc, "imatrix", "imatrix", json::value_t::object, false);
    if (!im.is_null()) {
        for (const auto &[key, value] : im.items())
            if (key != "file" && key != "include_weights" && key != "exclude_weights")
                r.fail("imatrix." + key, "unknown field");
        const json &file = r.member(im, "file", "imatrix.file", json::value_t::string, false);
        if (!file.is_null()) p.imatrixFile = file.get<std::string>();
        p.includeWeights = r.strings(im, "include_weights", "imatrix.include_weights");
        p.excludeWeights = r.strings(im, "exclude_weights", "imatrix.exclude_weights");
        if (!p.includeWeights.empty() && !p.excludeWeights.empty())
            r.fail("imatrix.include_weights", "cannot be combined with exclude_weights (llama-quantize refuses both)");
    }
    const json &prune = r.member(doc, "prune_layers", "prune_layers", json::value_t::array, false);
    for (size_t i = 0; !prune.is_null() && i < prune.size(); ++i) {
        const std::string path = "prune_layers[" + std::to_string(i) + "]";
        // A layer number GGUF's u32 block_count can hold; sorted and unique as --prune-layers keeps them.
        if (!prune[i].is_number_integer() || prune[i].get<int64_t>() < 0 || prune[i].get<int64_t>() > 1'000'000)
            r.fail(path, "expected a layer number from 0 to 1000000, found " + prune[i].dump());
        const int layer = int(prune[i].get<int64_t>());
        if (!p.pruneLayers.empty() && layer <= p.pruneLayers.back())
            r.fail(path, "layer numbers must be in increasing order, each once");
        p.pruneLayers.push_back(layer);
    }
    if (!p.pruneLayers.empty() && p.ruleSet != RuleSet::R2026_09)
        r.fail("prune_layers", std::string("needs rule_set 2026-09 (llama.cpp ") + ruleSetName(p.ruleSet) +
                                   " has no --prune-layers)");
    const json &notes = r.member(doc, "notes", "notes", json::value_t::string, false);
    if (!notes.is_null()) p.notes = notes.get<std::string>();
    return p;
}

std::string MixPreset::toJson() const {
    json doc = json::object(); // nlohmann keeps keys sorted: a stable, diff-friendly layout
    doc["format"] = kFormatName;
    doc["version"] = kFormatVersion;
    doc["base_label"] = baseLabel;
    doc["rule_set"] = ruleSetName(ruleSet);
    doc["rules"] = json::array();
    for (const auto &o : rules)
        doc["rules"].push_back({{"pattern", o.pattern}, {"type", upperTypeName(o.type)}});
    doc["tensor_types"] = json::object();
    for (const auto &[name, type] : tensorTypes)
        doc["tensor_types"][name] = upperTypeName(type);
    doc["output_tensor_type"] = outputTensorType ? json(upperTypeName(*outputTensorType)) : json(nullptr);
    doc["token_embedding_type"] = tokenEmbeddingType ? json(upperTypeName(*tokenEmbeddingType)) : json(nullptr);
    doc["pure"] = pure;
    doc["leave_output_tensor"] = leaveOutputTensor;
    doc["allow_requantize"] = allowRequantize;
    doc["imatrix"] = {{"file", imatrixFile}, {"include_weights", includeWeights}, {"exclude_weights", excludeWeights}};
    if (!pruneLayers.empty()) doc["prune_layers"] = pruneLayers;  // absent otherwise: older presets stay byte-equal
    doc["notes"] = notes;
    return doc.dump(2) + "\n";
}

MixPreset MixPreset::load(const std::filesystem::path &path) {
    // Presets are small; refuse anything that cannot be one rather than reading it all.
    const std::string text = readBoundedFile(path, kMaxPresetBytes, path.string() + ": cannot open the preset",
                                             path.string() + ": too large for a preset (over " +
                                                 std::to_string(kMaxPresetBytes >> 20) + " MiB)");
    return fromJson(text, path.string());
}

void MixPreset::save(const std::filesystem::path &path) const {
    // All or nothing: a failed save (full disk, read-only folder) leaves the previous preset intact.
    writeTextFileAtomically(path, toJson(), "the preset");
}

const QuantLabel &MixPreset::label() const {
    const QuantLabel *l = findQuantLabel(baseLabel, ruleSet);
    if (!l)
        throw Error("preset: base_label: unknown label '" + baseLabel + "' for rule set " + ruleSetName(ruleSet));
    return *l;
}

QuantizeOptions MixPreset::toOptions() const {
    QuantizeOptions o;
    o.rules = ruleSet;
    o.pure = pure;
    o.leaveOutputTensor = leaveOutputTensor;
    o.allowRequantize = allowRequantize;
    o.outputTensorType = outputTensorType;
    o.tokenEmbeddingType = tokenEmbeddingType;
    for (const auto &[name, type] : tensorTypes)
        o.tensorTypes.push_back({exactNamePattern(name), type});
    o.tensorTypes.insert(o.tensorTypes.end(), rules.begin(), rules.end());
    o.includeWeights = includeWeights;
    o.excludeWeights = excludeWeights;
    o.pruneLayers = pruneLayers;
    return o;
}

std::string MixPreset::toLlamaQuantizeCommand(const std::string &input, const std::string &output, int threads) const {
    std::string cmd = "llama-quantize";
    auto add = [&](const std::string &arg) {
        cmd.push_back(' ');
        cmd.append(shellQuote(arg));
    };
    if (allowRequantize) add("--allow-requantize");
    if (leaveOutputTensor) add("--leave-output-tensor");
    if (pure) add("--pure");
    if (!imatrixFile.empty()) {
        add("--imatrix");
        add(imatrixFile);
    }
    for (const auto &w : includeWeights)
        add("--include-weights"), add(w);
    for (const auto &w : excludeWeights)
        add("--exclude-weights"), add(w);
    if (outputTensorType) add("--output-tensor-type"), add(typeName(*outputTensorType));
    if (tokenEmbeddingType) add("--token-embedding-type"), add(typeName(*tokenEmbeddingType));
    for (const auto &o : toOptions().tensorTypes)
        add("--tensor-type"), add(o.pattern + "=" + typeName(o.type));
    if (!pruneLayers.empty()) {
        std::string layers;
        for (int l : pruneLayers)
            layers += (layers.empty() ? "" : ",") + std::to_string(l);
        add("--prune-layers"), add(layers);
    }
    add(input);
    add(output);
    add(label().name);
    if (threads > 0) add(std::to_string(threads));
    return cmd;
}

} // namespace qb
