// Whether the user may choose a tensor's type by hand: the GUI's overrides and presets name it as
// an exact --tensor-type, so the question is whether the rules would honour that for the tensor.
//
// Contract: answered from the decision the rules made for a label and options (no model data
// read). A tensor is overridable when the rules quantize it at all (not 1-D, not a tensor they
// never quantize, not --leave-output-tensor's), the label quantizes (a float label converts every
// tensor and ignores --tensor-type), and no option that wins over --tensor-type decides it:
// --token-embedding-type for token_embd.weight, --output-tensor-type for output.weight, and under
// b4748 also for token_embd.weight when the model has no output.weight (tied embeddings), where
// llama.cpp b4748 applies the output type before the --tensor-type patterns (2026-09 after them).
#pragma once

#include "mix/mix_rules.h"

#include <vector>

namespace qb {

// One flag per entry of decision.tensors, in the same order.
std::vector<bool> overridableTensors(const MixDecision &decision, const QuantizeOptions &options);

} // namespace qb
