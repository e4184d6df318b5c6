// A user's tensor-name pattern (--tensor-type PATTERN=TYPE, preset rules, analyze --tensor):
// an ECMAScript regular expression searched in tensor names, as llama-quantize does, but with
// bounded cost.
//
// Why: std::regex is dangerous on untrusted patterns. libstdc++ compiles by recursive descent
// (deep nesting overflows the stack), expands a{n,m} into copies of the atom (a{99999999}
// takes long before failing), and by default matches with a recursive backtracking executor
// ((a*)*b never finishes on a 63-byte name). So before compiling, a pattern is refused when
// it is longer than kMaxLength bytes, nests groups deeper than kMaxNesting, repeats with a
// count above kMaxRepeat (no tensor name is longer, so a larger count is never needed), or
// would expand to more than kMaxStates automaton states (a lookahead, which reruns at every
// position, counts kMaxRepeat + 1 times its states); back-references are refused. The
// accepted pattern runs on libstdc++'s breadth-first executor, whose cost is at most
// name length x states and whose recursion depth is at most the state count.
//
// Contract: search() answers exactly what std::regex_search(name, std::regex(pattern)) would
// (same match or not) for every accepted pattern. Refusals throw qb::Error
// "<origin>: pattern '<pattern>' <reason>", with long patterns shortened in the message.
#pragma once

#include <cstddef>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

namespace qb {

class TensorPattern {
  public:
    static constexpr size_t kMaxLength = 1024; // bytes of pattern text
    static constexpr int kMaxNesting = 16;     // groups inside groups
    static constexpr long kMaxRepeat = 63;     // {n,m} counts: kGgufMaxTensorName
    static constexpr long kMaxStates = 2000;   // estimated automaton size after expanding repeats

    // origin: where the pattern came from, for the message ("--tensor-type", "p.json: rules[2].pattern").
    TensorPattern(const std::string &pattern, const std::string &origin);

    // Why `pattern` is refused ("pattern 'a{99}' repeats 99 times, more than 63"), or nullopt.
    static std::optional<std::string> problem(const std::string &pattern);

    // True when the pattern occurs anywhere in `name`.
    bool search(std::string_view name) const;
    const std::string &text() const { return m_text; }

  private:
    std::string m_text;
    std::regex m_anywhere; // [\s\S]*(?:pattern), tried once from the start of the name
};

} // namespace qb
