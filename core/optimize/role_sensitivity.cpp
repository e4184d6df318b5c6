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

RoleSensitivity builtinRoleSensitivity() {
    RoleSensitivity s = uniformRoleSensitivity();
    return s;
}

} // namespace qb
