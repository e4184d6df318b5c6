// The label table. Help lines are llama-quantize b4748's; descriptions follow the common
// guidance (size class first, then expected quality loss).
#include "mix/quant_label.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace qb {
namespace {

using F = LlamaFtype;
using T = GgmlType;

// Listing order of llama-quantize's QUANT_OPTIONS; COPY last so that ftype 0 finds F32.
// clang-format off
constexpr std::array kLabels = {
    QuantLabel{"Q4_0", F::Q4_0, T::Q4_0, "4.34G, +0.4685 ppl @ Llama-3-8B", "small, very high quality loss - legacy, prefer Q3_K_M", nullptr, false, false},
    QuantLabel{"Q4_1", F::Q4_1, T::Q4_1, "4.78G, +0.4511 ppl @ Llama-3-8B", "small, substantial quality loss - legacy, prefer Q3_K_L", nullptr, false, false},
    QuantLabel{"Q5_0", F::Q5_0, T::Q5_0, "5.21G, +0.1316 ppl @ Llama-3-8B", "medium, balanced quality - legacy, prefer Q4_K_M", nullptr, false, false},
    QuantLabel{"Q5_1", F::Q5_1, T::Q5_1, "5.65G, +0.1062 ppl @ Llama-3-8B", "medium, low quality loss - legacy, prefer Q5_K_M", nullptr, false, false},
    QuantLabel{"IQ2_XXS", F::IQ2_XXS, T::IQ2_XXS, "2.06 bpw quantization", "extremely small, extreme quality loss - needs an importance matrix", nullptr, false, true},
    QuantLabel{"IQ2_XS", F::IQ2_XS, T::IQ2_XS, "2.31 bpw quantization", "extremely small, very high quality loss - needs an importance matrix", nullptr, false, true},
    QuantLabel{"IQ2_S", F::IQ2_S, T::IQ2_XS, "2.5  bpw quantization", "very small, very high quality loss - needs an importance matrix", nullptr, false, true},
    QuantLabel{"IQ2_M", F::IQ2_M, T::IQ2_S, "2.7  bpw quantization", "very small, high quality loss - an importance matrix is strongly advised", nullptr, false, false},
    QuantLabel{"IQ1_S", F::IQ1_S, T::IQ1_S, "1.56 bpw quantization", "smallest, extreme quality loss - needs an importance matrix", nullptr, false, true},
    QuantLabel{"IQ1_M", F::IQ1_M, T::IQ1_M, "1.75 bpw quantization", "smallest, extreme quality loss - needs an importance matrix", nullptr, false, true},
    QuantLabel{"TQ1_0", F::TQ1_0, T::TQ1_0, "1.69 bpw ternarization", "smallest, for ternary-trained models only (BitNet)", nullptr, false, false},
    QuantLabel{"TQ2_0", F::TQ2_0, T::TQ2_0, "2.06 bpw ternarization", "extremely small, for ternary-trained models only (BitNet)", nullptr, false, false},
    QuantLabel{"Q2_K", F::Q2_K, T::Q2_K, "2.96G, +3.5199 ppl @ Llama-3-8B", "smallest K-quant, extreme quality loss", nullptr, false, false},
    QuantLabel{"Q2_K_S", F::Q2_K_S, T::Q2_K, "2.96G, +3.1836 ppl @ Llama-3-8B", "smallest K-quant, extreme quality loss - needs an importance matrix", nullptr, false, true},
    QuantLabel{"IQ3_XXS", F::IQ3_XXS, T::IQ3_XXS, "3.06 bpw quantization", "very small, high quality loss", nullptr, false, false},
    QuantLabel{"IQ3_S", F::IQ3_S, T::IQ3_S, "3.44 bpw quantization", "very small, high quality loss", nullptr, false, false},
    QuantLabel{"IQ3_M", F::IQ3_M, T::IQ3_S, "3.66 bpw quantization mix", "small, substantial quality loss", nullptr, false, false},
    QuantLabel{"Q3_K", F::Q3_K_M, T::Q3_K, "alias for Q3_K_M", "alias for Q3_K_M", "Q3_K_M", false, false},
    QuantLabel{"IQ3_XS", F::IQ3_XS, T::IQ3_S, "3.3 bpw quantization", "very small, high quality loss", nullptr, false, false},
    QuantLabel{"Q3_K_S", F::Q3_K_S, T::Q3_K, "3.41G, +1.6321 ppl @ Llama-3-8B", "very small, very high quality loss", nullptr, false, false},
    QuantLabel{"Q3_K_M", F::Q3_K_M, T::Q3_K, "3.74G, +0.6569 ppl @ Llama-3-8B", "very small, high quality loss", nullptr, false, false},
    QuantLabel{"Q3_K_L", F::Q3_K_L, T::Q3_K, "4.03G, +0.5562 ppl @ Llama-3-8B", "small, substantial quality loss", nullptr, false, false},
    QuantLabel{"IQ4_NL", F::IQ4_NL, T::IQ4_NL, "4.50 bpw non-linear quantization", "small, balanced quality (non-linear, 32-wide blocks)", nullptr, false, false},
    QuantLabel{"IQ4_XS", F::IQ4_XS, T::IQ4_XS, "4.25 bpw non-linear quantization", "small, balanced quality", nullptr, false, false},
    QuantLabel{"Q4_K", F::Q4_K_M, T::Q4_K, "alias for Q4_K_M", "alias for Q4_K_M", "Q4_K_M", false, false},
    QuantLabel{"Q4_K_S", F::Q4_K_S, T::Q4_K, "4.37G, +0.2689 ppl @ Llama-3-8B", "small, significant quality loss", nullptr, false, false},
    QuantLabel{"Q4_K_M", F::Q4_K_M, T::Q4_K, "4.58G, +0.1754 ppl @ Llama-3-8B", "medium, balanced quality - recommended", nullptr, false, false},
    QuantLabel{"Q5_K", F::Q5_K_M, T::Q5_K, "alias for Q5_K_M", "alias for Q5_K_M", "Q5_K_M", false, false},
    QuantLabel{"Q5_K_S", F::Q5_K_S, T::Q5_K, "5.21G, +0.1049 ppl @ Llama-3-8B", "large, low quality loss - recommended", nullptr, false, false},
    QuantLabel{"Q5_K_M", F::Q5_K_M, T::Q5_K, "5.33G, +0.0569 ppl @ Llama-3-8B", "large, very low quality loss - recommended", nullptr, false, false},
    QuantLabel{"Q6_K", F::Q6_K, T::Q6_K, "6.14G, +0.0217 ppl @ Llama-3-8B", "very large, extremely low quality loss", nullptr, false, false},
    QuantLabel{"Q8_0", F::Q8_0, T::Q8_0, "7.96G, +0.0026 ppl @ Llama-3-8B", "very large, extremely low quality loss - not recommended", nullptr, false, false},
    QuantLabel{"F16", F::F16, T::F16, "14.00G, +0.0020 ppl @ Mistral-7B", "extremely large, virtually no quality loss - not recommended", nullptr, false, false},
    QuantLabel{"BF16", F::BF16, T::BF16, "14.00G, -0.0050 ppl @ Mistral-7B", "extremely large, virtually no quality loss - not recommended", nullptr, false, false},
    QuantLabel{"F32", F::AllF32, T::F32, "26.00G              @ 7B", "absolutely huge, lossless - not recommended", nullptr, false, false},
    QuantLabel{"COPY", F::AllF32, T::F32, "only copy tensors, no quantizing", "copies every tensor unchanged (metadata rewritten)", nullptr, true, false},
};
// clang-format on

// Labels llama-quantize gained after b4748 (help lines from its 2026-09 QUANT_OPTIONS).
// clang-format off
constexpr std::array kNewLabels = {
    QuantLabel{"Q1_0", F::Q1_0, T::Q1_0, "1.125 bpw quantization", "smallest, binary weights - for models trained for it (Bonsai)", nullptr, false, false},
    QuantLabel{"Q2_0", F::Q2_0, T::Q2_0, "2.25 bpw quantization (group 64)", "extremely small, for 2-bit-trained models - token embeddings at Q4_K", nullptr, false, false},
    QuantLabel{"MXFP4_MOE", F::MXFP4_MOE, T::MXFP4, "MXFP4 MoE", "MoE experts in MXFP4, everything else Q8_0 (gpt-oss style)", nullptr, false, false},
};
// clang-format on

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
           });
}

} // namespace

std::span<const QuantLabel> allQuantLabels() { return kLabels; }

const QuantLabel *findQuantLabel(std::string_view nameOrId) {
    for (const auto &label : kLabels)
        if (equalsIgnoringCase(label.name, nameOrId)) return &label;
    // llama-quantize also takes the numeric ftype ("15" for Q4_K_M).
    int id = -1;
    const char *end = nameOrId.data() + nameOrId.size();
    const auto [ptr, ec] = std::from_chars(nameOrId.data(), end, id);
    if (nameOrId.empty() || ec != std::errc() || ptr != end) return nullptr;
    return quantLabelForFtype(id);
}

const QuantLabel *quantLabelForFtype(int ftype) {
    for (const auto &label : kLabels)
        if (int(label.ftype) == ftype && !label.aliasOf && !label.copyOnly) return &label;
    return nullptr;
}

std::vector<const QuantLabel *> quantLabels(RuleSet rules) {
    std::vector<const QuantLabel *> out;
    if (rules == RuleSet::B4748) {
        for (const auto &label : kLabels)
            out.push_back(&label);
        return out;
    }
    // 2026-09's listing: Q1_0, Q2_0, Q4_0, Q4_1, MXFP4_MOE, Q5_0, ... (the rest as in b4748).
    out = {&kNewLabels[0], &kNewLabels[1]};
    for (const auto &label : kLabels) {
        out.push_back(&label);
        if (label.ftype == F::Q4_1) out.push_back(&kNewLabels[2]);
    }
    return out;
}

const QuantLabel *findQuantLabel(std::string_view nameOrId, RuleSet rules) {
    if (rules == RuleSet::B4748) return findQuantLabel(nameOrId);
    for (const QuantLabel *label : quantLabels(rules))
        if (equalsIgnoringCase(label->name, nameOrId)) return label;
    int id = -1;
    const char *end = nameOrId.data() + nameOrId.size();
    const auto [ptr, ec] = std::from_chars(nameOrId.data(), end, id);
    if (nameOrId.empty() || ec != std::errc() || ptr != end) return nullptr;
    return quantLabelForFtype(id, rules);
}

const QuantLabel *quantLabelForFtype(int ftype, RuleSet rules) {
    if (rules == RuleSet::B4748) return quantLabelForFtype(ftype);
    for (const QuantLabel *label : quantLabels(rules))
        if (int(label->ftype) == ftype && !label->aliasOf && !label->copyOnly) return label;
    return nullptr;
}

const QuantLabel &resolveAlias(const QuantLabel &label) {
    if (!label.aliasOf) return label;
    for (const auto &target : kLabels)
        if (std::string_view(target.name) == label.aliasOf) return target;
    return label;
}

} // namespace qb
