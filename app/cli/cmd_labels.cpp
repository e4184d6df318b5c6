// quantbench-cli labels [--rules 2026-09|b4748] [--json]
// Lists a rule set's llama-quantize quantization labels (aliases and COPY included, in its listing order):
// a table for people, or a JSON array of objects for scripts, written with nlohmann::json.
#include "commands.h"
#include "ggml_types.h"
#include "error.h"
#include "mix/quant_label.h"
#include "rule_set.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace qbcli {
namespace {

// Keys in the documented order (ordered_json keeps insertion order).
nlohmann::ordered_json labelsJson(qb::RuleSet rules) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const qb::QuantLabel *label : qb::quantLabels(rules)) {
        const qb::QuantLabel &l = *label;
        out.push_back({{"name", l.name},
                       {"ftype", int(l.ftype)},
                       {"base_type", qb::typeName(l.baseType)},
                       {"alias_of", l.aliasOf ? nlohmann::ordered_json(l.aliasOf) : nlohmann::ordered_json(nullptr)},
                       {"needs_imatrix", l.needsImportance},
                       {"llama_help", l.llamaHelp},
                       {"description", l.description}});
    }
    return out;
}

int printLabels(bool json, const std::string &rulesName) {
    const auto rules = qb::ruleSetFromName(rulesName);
    if (!rules) throw qb::Error("--rules: unknown rule set '" + rulesName + "' (2026-09 or b4748)");
    if (json) {
        std::printf("%s\n", labelsJson(*rules).dump(2).c_str());
        return 0;
    }
    std::printf("rule set %s: %s\n", qb::ruleSetName(*rules), qb::ruleSetDescription(*rules));
    std::printf("%-9s %5s  %-8s  %-34s %s\n", "label", "id", "base", "llama-quantize", "description");
    for (const qb::QuantLabel *l : qb::quantLabels(*rules))
        std::printf("%-9s %5d  %-8s  %-34s %s\n", l->name, int(l->ftype), qb::typeName(l->baseType), l->llamaHelp,
                    l->description);
    return 0;
}

} // namespace

void addLabelsCommand(CLI::App &app, CommandAction &action) {
    auto json = std::make_shared<bool>(false);
    auto rules = std::make_shared<std::string>(qb::ruleSetName(qb::kDefaultRuleSet));
    CLI::App *cmd = app.add_subcommand("labels", "List the quantization labels of a rule set with their descriptions");
    cmd->add_flag("--json", *json, "machine-readable output");
    cmd->add_option("--rules", *rules, "rule set: 2026-09 (default) or b4748");
    cmd->callback([&action, json, rules] { action = [json, rules] { return printLabels(*json, *rules); }; });
}

} // namespace qbcli
