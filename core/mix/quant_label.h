// The quantization labels llama-quantize accepts (b4748): name, llama_ftype id, base ggml type,
// and the help texts the UI and `quantbench-cli labels` show.
//
// Contract: the table is static and complete: every label of llama.cpp's quantize.cpp, the
// aliases Q3_K/Q4_K/Q5_K, and COPY. ftype ids are llama_ftype values (what general.file_type
// holds). findQuantLabel() accepts a name (case-insensitive) or a numeric id, as llama-quantize does.
#pragma once

#include "ggml_types.h"
#include "rule_set.h"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qb {

// llama_ftype values used by the mix rules (llama.h). Removed ids (4-6, 33-35) are absent.
// clang-format off
enum class LlamaFtype : int {
    AllF32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q8_0 = 7, Q5_0 = 8, Q5_1 = 9,
    Q2_K = 10, Q3_K_S = 11, Q3_K_M = 12, Q3_K_L = 13, Q4_K_S = 14, Q4_K_M = 15,
    Q5_K_S = 16, Q5_K_M = 17, Q6_K = 18, IQ2_XXS = 19, IQ2_XS = 20, Q2_K_S = 21,
    IQ3_XS = 22, IQ3_XXS = 23, IQ1_S = 24, IQ4_NL = 25, IQ3_S = 26, IQ3_M = 27,
    IQ2_S = 28, IQ2_M = 29, IQ4_XS = 30, IQ1_M = 31, BF16 = 32, TQ1_0 = 36, TQ2_0 = 37,
    MXFP4_MOE = 38, Q1_0 = 40, Q2_0 = 41, // llama.cpp 2026-09 only
};
// clang-format on

struct QuantLabel {
    const char *name;        // "Q4_K_M"
    LlamaFtype ftype;        // written to general.file_type (COPY: the input's own file type)
    GgmlType baseType;       // the type most tensors get (llama.cpp's default_type)
    const char *llamaHelp;   // llama-quantize's own help line ("4.58G, +0.1754 ppl @ Llama-3-8B")
    const char *description; // size class and quality loss in words, for the UI
    const char *aliasOf;     // nullptr, or the label this name stands for (Q4_K -> Q4_K_M)
    bool copyOnly;           // COPY: tensors copied unchanged
    bool needsImportance;    // refused without an importance matrix
};

// All labels in llama-quantize's listing order (aliases and COPY included).
std::span<const QuantLabel> allQuantLabels();

// By name (case-insensitive, aliases resolved to themselves) or by numeric ftype id
// ("15" -> Q4_K_M). nullptr when unknown.
const QuantLabel *findQuantLabel(std::string_view nameOrId);

// The canonical (non-alias, non-COPY) label of an ftype id; nullptr when none.
const QuantLabel *quantLabelForFtype(int ftype);

// The labels of one rule set's llama-quantize, in its listing order (2026-09 adds Q1_0, Q2_0
// and MXFP4_MOE to b4748's, whose entries and help lines it keeps).
std::vector<const QuantLabel *> quantLabels(RuleSet rules);

// findQuantLabel() / quantLabelForFtype() among one rule set's labels.
const QuantLabel *findQuantLabel(std::string_view nameOrId, RuleSet rules);
const QuantLabel *quantLabelForFtype(int ftype, RuleSet rules);

// The label a name resolves to after aliases (Q4_K -> Q4_K_M); the label itself otherwise.
const QuantLabel &resolveAlias(const QuantLabel &label);

} // namespace qb
