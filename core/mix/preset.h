// A saved mix: a versioned JSON document naming a base label plus the user's changes, so the
// same quantization can be repeated, shared, or exported as a llama-quantize command line.
//
// Contract: fromJson() validates everything (version, label, type names, regexes, field types)
// and throws qb::Error naming the offending field ("rules[2].type: unknown type 'Q9_K'").
// toJson() and fromJson() round-trip exactly. Explicit tensor types become anchored, escaped
// patterns placed before the rules, so they win over any rule (llama.cpp's first-match order).
#pragma once

#include "ggml_types.h"
#include "mix/mix_rules.h"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qb {

struct MixPreset {
    static constexpr int kFormatVersion = 1;

    RuleSet ruleSet = kDefaultRuleSet;           // JSON "rule_set"; a preset without it means b4748
    std::string baseLabel = "Q4_K_M";            // any name findQuantLabel(name, ruleSet) accepts
    std::vector<TensorTypeOverride> rules;       // ordered pattern -> type, first match wins
    std::map<std::string, GgmlType> tensorTypes; // exact tensor name -> type
    std::optional<GgmlType> outputTensorType;
    std::optional<GgmlType> tokenEmbeddingType;
    bool pure = false;
    bool leaveOutputTensor = false;
    bool allowRequantize = false;
    std::string imatrixFile; // empty: none
    std::vector<std::string> includeWeights;
    std::vector<std::string> excludeWeights;
    // JSON "prune_layers" (only with rule set 2026-09, omitted when empty): layers --prune-layers
    // drops, sorted and unique, so a preset reproduces a pruned file.
    std::vector<int> pruneLayers;
    std::string notes;

    static MixPreset fromJson(const std::string &jsonText, const std::string &sourceName = "preset");
    static MixPreset load(const std::filesystem::path &path);
    std::string toJson() const; // pretty-printed, stable key order
    // Whole or not at all (writeTextFileAtomically): a failed save leaves the previous file intact.
    // Throws qb::Error naming the file (BadInput for a missing folder, Runtime otherwise).
    void save(const std::filesystem::path &path) const;

    const QuantLabel &label() const;   // throws qb::Error when the label is unknown
    QuantizeOptions toOptions() const; // tensorTypes first (anchored), then rules

    // The equivalent command: llama-quantize [options] IN OUT LABEL [THREADS] (threads <= 0: omitted).
    std::string toLlamaQuantizeCommand(const std::string &input, const std::string &output, int threads = 0) const;
};

// "^blk\.0\.attn_v\.weight$": a regex matching exactly that name.
std::string exactNamePattern(const std::string &tensorName);

} // namespace qb
