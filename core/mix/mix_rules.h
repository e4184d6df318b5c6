// Which ggml type each tensor of a model gets for a label and options, and why:
// llama.cpp b4748's llama_tensor_get_type / llama_model_quantize_impl, as data-driven rules.
//
// Contract: decideMix() is pure (reads only headers and the importance matrix's names/sizes) and
// returns one decision per tensor, in the order llama-quantize writes them (non-layer tensors
// first, then by layer number, names sorted within a group; with keepSplit, grouped by split). Each decision carries a
// one-line human reason naming the rule. Requests llama-quantize refuses (very-low-bit label or tensor without
// importance data, row length with no fallback, requantizing without permission, bad override type) throw qb::Error
// (BadInput) with llama-quantize's reason.
#pragma once

#include "ggml_types.h"
#include "gguf/gguf_model.h"
#include "mix/mix_entry.h"
#include "mix/quant_label.h"
#include "rule_set.h"

#include <optional>
#include <string>
#include <vector>

namespace qb {

class ImportanceMatrix;

// --tensor-type PATTERN=TYPE: an ECMAScript regex searched in the tensor name; first match wins.
struct TensorTypeOverride {
    std::string pattern;
    GgmlType type = GgmlType::F32;
};

struct QuantizeOptions {
    // Which llama.cpp to reproduce. The library default stays b4748 so that callers written before
    // rule sets existed (and presets without "rules") keep their results; the CLI, the GUI and new
    // presets choose kDefaultRuleSet.
    RuleSet rules = RuleSet::B4748;
    std::vector<int> pruneLayers;                // --prune-layers (2026-09): sorted, unique layer numbers
    bool dryRun = false;                         // 2026-09's --dry-run: missing importance data or
                                                 // requantizing warns (importanceWarning) instead of refusing
    bool pure = false;                           // --pure: every quantizable tensor gets the base type
    bool leaveOutputTensor = false;              // --leave-output-tensor
    bool allowRequantize = false;                // --allow-requantize
    bool keepSplit = false;                      // --keep-split: tensors grouped by input split, in split order
    std::optional<GgmlType> outputTensorType;    // --output-tensor-type
    std::optional<GgmlType> tokenEmbeddingType;  // --token-embedding-type
    std::vector<TensorTypeOverride> tensorTypes; // --tensor-type, in command-line order
    std::vector<std::string> includeWeights;     // --include-weights: imatrix entries kept (substring)
    std::vector<std::string> excludeWeights;     // --exclude-weights: imatrix entries dropped (substring)
};

struct TensorDecision {
    size_t tensor = 0; // index into GgufModel::tensors()
    std::string name;
    GgmlType source = GgmlType::F32; // stored type in the input
    GgmlType target = GgmlType::F32; // type in the output (== source: copied unchanged)
    bool quantizable = false;        // llama.cpp's `quantize` conditions hold (name, dims, role)
    bool usesImportance = false;     // an importance vector will be passed to the kernel
    std::string reason;              // "attn_v: use_more_bits in layer 0 of 8 -> Q6_K"
    std::string outputName;          // name in the output when --prune-layers renumbers it; empty: name
};

struct MixDecision {
    const QuantLabel *label = nullptr;   // resolved label (aliases followed)
    int fileType = 0;                    // value of general.file_type
    std::vector<TensorDecision> tensors; // output order
    int fallbackCount = 0;               // tensors whose row length forced another type
    RuleSet rules = RuleSet::B4748;      // the rule set that decided (metadata details follow it)
    int blockCount = -1;                 // --prune-layers: the new <arch>.block_count; -1 unchanged
    std::string importanceWarning;       // dry run (2026-09): the tensor that would need importance data

    std::vector<MixEntry> mixEntries() const; // for ModelAnalyzer::summarize
};

// The importance data llama-quantize actually uses: --exclude-weights removes entries whose
// name contains any pattern, then --include-weights keeps only entries containing one.
ImportanceMatrix filterImportance(const ImportanceMatrix &imatrix, const QuantizeOptions &options);

// imatrix: the filtered matrix (or nullptr). Throws qb::Error for refused requests.
MixDecision decideMix(const GgufModel &model, const QuantLabel &label, const QuantizeOptions &options,
                      const ImportanceMatrix *imatrix);

} // namespace qb
