// GGUF metadata values as JSON (for inspect --json, presets and the GUI's metadata export).
//
// Contract: numbers keep their value (non-finite floats become null, which JSON cannot
// express otherwise), strings are emitted as they are (dump with error_handler_t::replace
// for files whose strings are not valid UTF-8), arrays in full.
#pragma once

#include "gguf/gguf_value.h"

#include <nlohmann/json.hpp>

namespace qb {

nlohmann::json toJson(const GgufValue &value);

// "u32", "str", "arr[str]", "arr[arr[i32]]" ...
std::string typeDescription(const GgufValue &value);

} // namespace qb
