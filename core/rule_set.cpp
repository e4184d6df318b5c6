// The rule set names and descriptions.
#include "rule_set.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace qb {
namespace {
constexpr std::array kRuleSets = {RuleSet::R2026_09, RuleSet::B4748};
} // namespace

const char *ruleSetName(RuleSet rules) { return rules == RuleSet::B4748 ? "b4748" : "2026-09"; }

const char *ruleSetDescription(RuleSet rules) {
    return rules == RuleSet::B4748 ? "llama.cpp b4748 (c392e50, 2025-02)" : "llama.cpp 0ad4a86 (2026-09-28)";
}

std::optional<RuleSet> ruleSetFromName(std::string_view name) {
    for (RuleSet r : kRuleSets) {
        const std::string_view n = ruleSetName(r);
        if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
            }))
            return r;
    }
    return std::nullopt;
}

std::span<const RuleSet> allRuleSets() { return kRuleSets; }

} // namespace qb
