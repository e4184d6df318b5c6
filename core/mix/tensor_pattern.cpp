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
constexpr auto kSyntax = std::regex::ECMAScript | std::regex_constants::__polynomial;

std::string quoted(const std::string &pattern) {
    constexpr size_t kShown = 80;
    if (pattern.size() <= kShown) return "'" + pattern + "'";
    return "'" + pattern.substr(0, kShown) + "...' (" + std::to_string(pattern.size()) + " bytes)";
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
std::optional<std::string> walk(const std::string &p) {
    std::vector<Level> levels(1);
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
        long total = 0;
        for (const Level &l : levels)
            total += l.finished + l.current;
        if (total > kMaxStates)
            return "is too complex (over " + std::to_string(kMaxStates) +
                   " regex states once its repetitions are expanded)";
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string> TensorPattern::problem(const std::string &pattern) {
    if (pattern.size() > TensorPattern::kMaxLength)
        return "pattern " + quoted(pattern) + " is longer than " + std::to_string(TensorPattern::kMaxLength) + " bytes";
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
    // The pattern compiled alone above, so wrapping it in a group cannot change its meaning.
    try {
        m_anywhere = std::regex("[\\s\\S]*(?:" + pattern + ")", kSyntax);
    } catch (const std::regex_error &e) {
        throw Error(origin + ": pattern " + quoted(pattern) + " cannot be compiled: " + e.what());
    }
}

bool TensorPattern::search(std::string_view name) const {
    return std::regex_search(name.begin(), name.end(), m_anywhere, std::regex_constants::match_continuous);
}

} // namespace qb
