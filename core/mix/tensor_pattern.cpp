// TensorPattern: a syntax walk that bounds a pattern's size before std::regex sees it, then a
// breadth-first (polynomial) regex anchored at the name's start behind a [\s\S]* prefix, so one
// pass over the name answers "does the pattern occur anywhere" (regex_search would restart
// the whole match at every position).
#include "mix/tensor_pattern.h"

#include "error.h"

#include <algorithm>
#include <vector>

namespace qb {
namespace {

// libstdc++'s breadth-first executor; without it std::regex backtracks (exponential time).
// nosubs: groups do not capture (see tensor_pattern.h); back-references are refused anyway.
constexpr auto kSyntax = std::regex::ECMAScript | std::regex::nosubs | std::regex_constants::__polynomial;

// Built by append: gcc 12 warns (-Wrestrict, a false positive) on "'" + s + ... once inlined here.
std::string quoted(const std::string &pattern) {
    constexpr size_t kShown = 80;
    std::string out(1, '\'');
    out.append(pattern, 0, kShown);
    if (pattern.size() <= kShown) return out.append(1, '\'');
    return out.append("...' (").append(std::to_string(pattern.size())).append(" bytes)");
}

constexpr int kMaxNesting = TensorPattern::kMaxNesting;
constexpr long kMaxRepeat = TensorPattern::kMaxRepeat;
constexpr long kMaxStates = TensorPattern::kMaxStates;

// One group level of the walk: the states of finished alternatives, of the current one, and
// of the last atom (what a following quantifier repeats; 0 when there is none).
struct Level {
    long finished = 0;
    long current = 0;
    long last = 0;
    bool lookahead = false; // (?= or (?!
};

// Reads a decimal count at `pos` (capped, so no overflow); nullopt when there is no digit.
std::optional<long> readCount(const std::string &p, size_t &pos) {
    if (pos >= p.size() || p[pos] < '0' || p[pos] > '9') return std::nullopt;
    long n = 0;
    while (pos < p.size() && p[pos] >= '0' && p[pos] <= '9') {
        n = std::min(n * 10 + (p[pos] - '0'), 1'000'000'000L);
        ++pos;
    }
    return n;
}

// The syntax walk. Estimates the automaton size as libstdc++ builds it: one state per atom, two
// per group and alternative, and an atom repeated {n,m} copied max(n,m)+1 times. Malformed
// syntax is left to std::regex, which reports it; the walk only has to stay bounded on it.
std::optional<std::string> walk(const std::string &p, long *states = nullptr) {
    std::vector<Level> levels(1);
    long total = 0;
    auto atom = [&](long states) {
        levels.back().current += states;
        levels.back().last = states;
    };
    for (size_t i = 0; i < p.size();) {
        const char c = p[i];
        if (c == '\\') {
            if (i + 1 < p.size() && p[i + 1] >= '1' && p[i + 1] <= '9')
                return "uses a back-reference (\\" + std::string(1, p[i + 1]) + "), which is not supported";
            atom(1);
            i += 2;
        } else if (c == '[') {
            size_t j = i + 1;
            if (j < p.size() && p[j] == '^') ++j;
            while (j < p.size() && p[j] != ']')
                j += p[j] == '\\' ? 2 : 1;
            atom(1);
            i = j + 1;
        } else if (c == '(') {
            if (int(levels.size()) > kMaxNesting)
                return "nests groups more than " + std::to_string(kMaxNesting) + " deep";
            levels.emplace_back();
            if (i + 1 < p.size() && p[i + 1] == '?') { // (?: (?= (?!
                levels.back().lookahead = i + 2 < p.size() && (p[i + 2] == '=' || p[i + 2] == '!');
                i += 3;
            } else {
                ++i;
            }
        } else if (c == ')' && levels.size() > 1) {
            const Level done = levels.back();
            levels.pop_back();
            // A lookahead runs a whole match of its own from every position it is tried at (up to
            // a name's length + 1): it costs that many times its states.
            atom((done.finished + done.current + 2) * (done.lookahead ? kMaxRepeat + 1 : 1));
            ++i;
        } else if (c == '|') {
            levels.back().finished += levels.back().current + 2;
            levels.back().current = 0;
            levels.back().last = 0;
            ++i;
        } else if (c == '*' || c == '+' || c == '?' || c == '{') {
            long copies = c == '+' ? 2 : 1;
            ++i;
            if (c == '{') {
                size_t j = i;
                const auto low = readCount(p, j);
                std::optional<long> high = low;
                bool open = false;
                if (low && j < p.size() && p[j] == ',') {
                    ++j;
                    high = readCount(p, j);
                    open = !high;
                }
                if (!low || j >= p.size() || p[j] != '}') {
                    atom(1); // not a repetition: std::regex decides whether it is valid
                    continue;
                }
                const long count = std::max(*low, open ? *low : *high);
                if (count > kMaxRepeat)
                    return "repeats " + std::to_string(count) + " times, more than " + std::to_string(kMaxRepeat) +
                           " (no tensor name is longer than " + std::to_string(kMaxRepeat) + " bytes)";
                copies = count + 1;
                i = j + 1;
            }
            if (i < p.size() && p[i] == '?') ++i; // lazy: same automaton
            Level &l = levels.back();
            l.current += l.last * (copies - 1) + 1;
            l.last = 0;
        } else {
            atom(1);
            ++i;
        }
        // Checked after every step, so every product above stays far from overflowing.
        total = 0;
        for (const Level &l : levels)
            total += l.finished + l.current;
        if (total > kMaxStates)
            return "is too complex (over " + std::to_string(kMaxStates) +
                   " regex states once its repetitions are expanded)";
    }
    if (states) *states = total;
    return std::nullopt;
}

// Not std::ispunct: that depends on the locale, which a Qt application sets from the environment.
bool isAsciiPunctuation(unsigned char c) {
    return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}

// Parses a pattern that only spells out characters: ordinary bytes, escaped punctuation (\.),
// '.' (any byte but '\n' and '\r', as libstdc++'s ECMAScript '.'), '^' first and '$' last.
// Anything else (groups, classes, quantifiers, \d, \b, '|') is left to std::regex.
std::optional<TensorPattern::Literal> parseLiteral(const std::string &p) {
    TensorPattern::Literal lit;
    size_t i = 0, end = p.size();
    if (i < end && p[i] == '^') {
        lit.atStart = true;
        ++i;
    }
    if (end > i && p[end - 1] == '$') {
        // "\$" at the end is an escaped dollar, not an anchor: count the backslashes before it.
        size_t slashes = 0;
        while (end - 1 - slashes > i && p[end - 2 - slashes] == '\\')
            ++slashes;
        if (slashes % 2 == 0) {
            lit.atEnd = true;
            --end;
        }
    }
    for (; i < end; ++i) {
        const unsigned char c = static_cast<unsigned char>(p[i]);
        if (c == '\\') {
            if (i + 1 >= end) return std::nullopt;
            const unsigned char e = static_cast<unsigned char>(p[i + 1]);
            // Escaped ASCII punctuation is the character itself in ECMAScript; letters and digits
            // are classes, anchors or back-references.
            if (!isAsciiPunctuation(e)) return std::nullopt;
            lit.text.push_back(char(e));
            lit.any.push_back(false);
            ++i;
        } else if (c == '.') {
            lit.text.push_back('.');
            lit.any.push_back(true);
        } else if (std::string_view("^$*+?()[]{}|").find(char(c)) != std::string_view::npos) {
            return std::nullopt;
        } else {
            lit.text.push_back(char(c));
            lit.any.push_back(false);
        }
    }
    return lit;
}

bool literalMatchesAt(const TensorPattern::Literal &lit, std::string_view name, size_t at) {
    for (size_t k = 0; k < lit.text.size(); ++k) {
        const char c = name[at + k];
        if (lit.any[k] ? (c == '\n' || c == '\r') : c != lit.text[k]) return false;
    }
    return true;
}

} // namespace

std::optional<std::string> TensorPattern::problem(const std::string &pattern) {
    if (pattern.size() > TensorPattern::kMaxLength)
        return "pattern " + quoted(pattern) + " is longer than " + std::to_string(TensorPattern::kMaxLength) + " bytes";
    if (parseLiteral(pattern)) return std::nullopt;  // valid by construction; skips a regex compile
    if (auto why = walk(pattern)) return "pattern " + quoted(pattern) + " " + *why;
    try {
        std::regex check(pattern, kSyntax);
    } catch (const std::regex_error &e) {
        return "pattern " + quoted(pattern) + " is not a valid regular expression: " + e.what();
    }
    return std::nullopt;
}

TensorPattern::TensorPattern(const std::string &pattern, const std::string &origin) : m_text(pattern) {
    if (auto why = problem(pattern)) throw Error(origin + ": " + *why);
    m_literal = parseLiteral(pattern);
    if (m_literal) return;
    walk(pattern, &m_states);
    // The pattern compiled alone above, so wrapping it in a group cannot change its meaning.
    try {
        m_anywhere = std::regex("[\\s\\S]*(?:" + pattern + ")", kSyntax);
    } catch (const std::regex_error &e) {
        throw Error(origin + ": pattern " + quoted(pattern) + " cannot be compiled: " + e.what());
    }
}

bool TensorPattern::search(std::string_view name) const {
    if (m_literal) {
        const Literal &lit = *m_literal;
        const size_t n = lit.text.size();
        if (n > name.size()) return false;
        if (lit.atStart && lit.atEnd) return n == name.size() && literalMatchesAt(lit, name, 0);
        if (lit.atStart) return literalMatchesAt(lit, name, 0);
        if (lit.atEnd) return literalMatchesAt(lit, name, name.size() - n);
        if (std::find(lit.any.begin(), lit.any.end(), true) == lit.any.end())
            return name.find(lit.text) != std::string_view::npos;
        for (size_t at = 0; at + n <= name.size(); ++at)
            if (literalMatchesAt(lit, name, at)) return true;
        return false;
    }
    return std::regex_search(name.begin(), name.end(), m_anywhere, std::regex_constants::match_continuous);
}

std::vector<TensorPattern> compileTensorPatterns(const std::vector<std::string> &patterns, const std::string &origin) {
    std::vector<TensorPattern> out;
    out.reserve(patterns.size());
    long total = 0;
    for (size_t i = 0; i < patterns.size(); ++i) {
        out.emplace_back(patterns[i], origin);
        total += out.back().states();
        if (total > TensorPattern::kMaxTotalStates)
            throw Error(origin + ": pattern #" + std::to_string(i + 1) + " " + quoted(patterns[i]) +
                        " brings the patterns together over " + std::to_string(TensorPattern::kMaxTotalStates) +
                        " regex states (each is searched in every tensor name); use fewer patterns, or exact "
                        "names (plain text, '.' and escaped punctuation cost nothing)");
    }
    return out;
}

} // namespace qb
