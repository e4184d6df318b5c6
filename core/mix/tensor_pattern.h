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
// name length x states and whose recursion depth is at most the state count. It keeps no
// capture groups (nosubs): with them, each state carries a copy of every group, and 250 groups
// cost 75 times as much; a search only needs match or no match.
//
// Patterns that only spell out characters (plain text, escaped punctuation such as \., '.', an
// optional leading ^ and trailing $) never reach std::regex: they are matched directly, which
// finds exactly what regex_search finds, at no regex cost. That is how exact tensor names are
// written (a --tensor-type-file listing every tensor, a preset's tensor_types). The cost of the
// rest adds up over a mix, since each is searched in every tensor name: compileTensorPatterns()
// caps the sum of their states at kMaxTotalStates.
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
#include <vector>

namespace qb {

class TensorPattern {
  public:
    static constexpr size_t kMaxLength = 1024; // bytes of pattern text
    static constexpr int kMaxNesting = 16;     // groups inside groups
    static constexpr long kMaxRepeat = 63;     // {n,m} counts: kGgufMaxTensorName
    static constexpr long kMaxStates = 2000;   // estimated automaton size after expanding repeats
    static constexpr long kMaxTotalStates = 20000; // over all patterns of one mix (see compileTensorPatterns)

    // A pattern without regex operators: each byte of text is matched literally, or (any) is
    // any byte but '\n' and '\r'; anchored at the name's start and/or end.
    struct Literal {
        std::string text;
        std::vector<bool> any;
        bool atStart = false;
        bool atEnd = false;
    };

    // origin: where the pattern came from, for the message ("--tensor-type", "p.json: rules[2].pattern").
    TensorPattern(const std::string &pattern, const std::string &origin);

    // Why `pattern` is refused ("pattern 'a{99}' repeats 99 times, more than 63"), or nullopt.
    static std::optional<std::string> problem(const std::string &pattern);

    // True when the pattern occurs anywhere in `name`.
    bool search(std::string_view name) const;
    const std::string &text() const { return m_text; }
    // Estimated regex states (what a search costs per name byte); 0 for a literal pattern.
    long states() const { return m_states; }

  private:
    std::string m_text;
    std::optional<Literal> m_literal; // set when the pattern is matched without std::regex
    long m_states = 0;
    std::regex m_anywhere; // [\s\S]*(?:pattern), tried once from the start of the name
};

// Compiles the patterns of one mix (in order), refusing them with qb::Error once the sum of
// their states exceeds TensorPattern::kMaxTotalStates; origin names them in messages.
std::vector<TensorPattern> compileTensorPatterns(const std::vector<std::string> &patterns, const std::string &origin);

} // namespace qb
