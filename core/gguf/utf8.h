// UTF-8 as the GGUF specification requires it of keys, tensor names and string values.
//
// Contract: validity is strict RFC 3629 (no overlong forms, no UTF-16 surrogates, nothing above
// U+10FFFF, no truncated sequence), as std::string_view bytes with no terminator. The escaping
// keeps valid text as it is and writes each byte that is not part of a valid character as \xNN,
// so a name or value the specification forbids can still be shown, unambiguously.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace qb {

// Index of the first byte that does not start a valid UTF-8 character, if any.
std::optional<size_t> firstInvalidUtf8(std::string_view text);

// text with every invalid byte written as \xNN (backslashes are not doubled: callers that need
// an unambiguous quoted form escape '\\' themselves, as GgufValue::toDisplayString does).
std::string escapeInvalidUtf8(std::string_view text);

// Length of the valid UTF-8 character starting at text[i], or 0 if the byte there starts none.
size_t utf8CharLength(std::string_view text, size_t i);

} // namespace qb
