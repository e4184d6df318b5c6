// Which llama.cpp's llama-quantize QuantBench reproduces: a rule set names one llama.cpp
// version whose labels, mix rules, fallbacks, refusals and metadata QuantBench follows.
//
// Contract: every rule set stays available and reproducible; kDefaultRuleSet is what the CLI,
// the GUI and new presets use. Presets saved before rule sets existed mean b4748.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace qb {

enum class RuleSet {
    B4748,   // llama.cpp b4748 (commit c392e50, February 2025)
    R2026_09 // llama.cpp commit 0ad4a86 (2026-09-28), shipped by node-llama-cpp 3.22.1
};

constexpr RuleSet kDefaultRuleSet = RuleSet::R2026_09;

// "b4748", "2026-09": the names --rules and presets use.
const char *ruleSetName(RuleSet rules);

// One line for the UI: "llama.cpp 0ad4a86 (2026-09-28)".
const char *ruleSetDescription(RuleSet rules);

// By name, case-insensitive; nullopt when unknown.
std::optional<RuleSet> ruleSetFromName(std::string_view name);

std::span<const RuleSet> allRuleSets();

} // namespace qb
