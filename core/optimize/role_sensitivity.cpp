#include "optimize/role_sensitivity.h"

namespace qb {

TensorRole tensorRole(std::string_view name, bool hasOutput) {
    if (name == "output.weight" || (!hasOutput && name == "token_embd.weight")) return TensorRole::Output;
    if (name == "token_embd.weight") return TensorRole::TokenEmbd;
    // Substring tests in llama.cpp's order, as the mix rules classify tensors.
    static const std::pair<std::string_view, TensorRole> kRoles[] = {
        {"attn_v.weight", TensorRole::AttnV},   {"attn_k.weight", TensorRole::AttnK},
        {"attn_q.weight", TensorRole::AttnQ},   {"ffn_down", TensorRole::FfnDown},
        {"attn_output.weight", TensorRole::AttnOutput}, {"ffn_gate", TensorRole::FfnGate},
        {"ffn_up", TensorRole::FfnUp},
    };
    for (const auto &[text, role] : kRoles)
        if (name.find(text) != std::string_view::npos) return role;
    return TensorRole::Other;
}

const char *tensorRoleName(TensorRole role) {
    switch (role) {
    case TensorRole::TokenEmbd: return "token_embd";
    case TensorRole::Output: return "output";
    case TensorRole::AttnQ: return "attn_q";
    case TensorRole::AttnK: return "attn_k";
    case TensorRole::AttnV: return "attn_v";
    case TensorRole::AttnOutput: return "attn_output";
    case TensorRole::FfnGate: return "ffn_gate";
    case TensorRole::FfnUp: return "ffn_up";
    case TensorRole::FfnDown: return "ffn_down";
    default: return "other";
    }
}

RoleSensitivity uniformRoleSensitivity() {
    RoleSensitivity s;
    s.weight.fill(1.0);
    return s;
}

// Measured by packaging/measure-role-sensitivity.sh on the trained stories-d256 model (llama
// architecture, 4 layers, GQA, 2026-12-06, llama-perplexity of llama.cpp 0ad4a86, 256-token
// contexts of the golden sample text): each role's tensors alone quantized to Q3_K, mean KL
// divergence divided by the optimizer's predicted error of those tensors, then scaled so that
// ffn_down is 1. What it says is about roles, not that model: an error in attn_k/attn_v or in the
// output projection moves the logits 5-16 times as much as the same relative error in the
// feed-forward weights (which is why llama.cpp's labels give those roles more bits).
RoleSensitivity builtinRoleSensitivity() {
    RoleSensitivity s = uniformRoleSensitivity();
    s.weight[size_t(TensorRole::Output)] = 16.0;
    s.weight[size_t(TensorRole::AttnV)] = 5.56;
    s.weight[size_t(TensorRole::AttnK)] = 5.03;
    s.weight[size_t(TensorRole::AttnOutput)] = 1.17;
    s.weight[size_t(TensorRole::TokenEmbd)] = 1.03;
    s.weight[size_t(TensorRole::FfnDown)] = 1.0;
    s.weight[size_t(TensorRole::AttnQ)] = 0.714;
    s.weight[size_t(TensorRole::FfnGate)] = 0.507;
    s.weight[size_t(TensorRole::FfnUp)] = 0.355;
    return s;
}

} // namespace qb
