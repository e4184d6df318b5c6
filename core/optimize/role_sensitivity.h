// How much a tensor role's quantization error costs the model's output, relative to the others:
// the calibration that turns "least weight error" into "least output divergence".
//
// Contract: a weight per role (token_embd, output, attn_q, attn_k, attn_v, attn_output,
// ffn_gate, ffn_up, ffn_down); the optimizer multiplies each tensor's error by its role's
// weight. The built-in table (builtinRoleSensitivity) was measured once, by method not per
// model (see role_sensitivity.cpp and the README); uniformRoleSensitivity() turns calibration off.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace qb {

enum class TensorRole { TokenEmbd, Output, AttnQ, AttnK, AttnV, AttnOutput, FfnGate, FfnUp, FfnDown, Other, Count };

// The role of a tensor by name, as llama.cpp's mix rules name roles; hasOutput: the model has an
// output.weight (without it token_embd is also the output).
TensorRole tensorRole(std::string_view name, bool hasOutput);
const char *tensorRoleName(TensorRole role);

struct RoleSensitivity {
    std::array<double, size_t(TensorRole::Count)> weight{};
    double of(TensorRole role) const { return weight[size_t(role)]; }
};

RoleSensitivity uniformRoleSensitivity();
RoleSensitivity builtinRoleSensitivity();

} // namespace qb
