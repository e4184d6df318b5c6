// The values of quantize's command-line options, parsed as llama-quantize reads them: type names,
// --tensor-type PATTERN=TYPE and --tensor-type-file. In core (not app/cli) so the fuzz target
// tests/fuzz/fuzz_cli_args.cpp runs the very code quantbench-cli does.
//
// Contract: every function returns a valid value or throws qb::Error (BadInput) naming the
// option (or file) and the offending text; patterns are checked by TensorPattern::problem().
// --tensor-type-file holds whitespace-separated PATTERN=TYPE entries, at most kMaxTensorTypeEntries
// of them in at most kMaxTensorTypeFileBytes.
#pragma once

#include "ggml_types.h"
#include "mix/mix_rules.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace qb {

inline constexpr size_t kMaxTensorTypeEntries = 100000;
inline constexpr size_t kMaxTensorTypeFileBytes = 16u << 20;

// A ggml type name (case-insensitive, as typeFromName); option names the option in the message.
GgmlType parseTypeOption(std::string_view name, const std::string &option);

// A tensor-name pattern as llama-quantize's parse_tensor_type keeps it: ASCII letters lower-cased
// (so ATTN_V matches attn_v, and, as there, \D becomes \d).
std::string llamaQuantizePattern(std::string_view pattern);

// PATTERN=TYPE, split at the first '=' as llama-quantize does, the pattern lower-cased as there.
// origin: "--tensor-type".
TensorTypeOverride parseTensorTypeOption(std::string_view text, const std::string &origin);

// The entries of a --tensor-type-file's text; origin names the file in messages.
std::vector<TensorTypeOverride> parseTensorTypeList(std::string_view text, const std::string &origin);

// Reads and parses a --tensor-type-file.
std::vector<TensorTypeOverride> readTensorTypeFile(const std::string &path);

} // namespace qb
