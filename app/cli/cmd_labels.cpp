// quantbench-cli labels [--json]
// Lists llama-quantize's quantization labels (aliases and COPY included, in its listing order):
// a table for people, or a JSON array of objects for scripts, written with nlohmann::json.
#include "commands.h"
#include "ggml_types.h"
#include "mix/quant_label.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace qbcli {
namespace {

// Keys in the documented order (ordered_json keeps insertion order).
nlohmann::ordered_json labelsJson() {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const qb::QuantLabel &l : qb::allQuantLabels()) {
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

int printLabels(bool json) {
    if (json) {
        std::printf("%s\n", labelsJson().dump(2).c_str());
        return 0;
    }
    std::printf("%-8s %5s  %-8s  %-34s %s\n", "label", "id", "base", "llama-quantize", "description");
    for (const qb::QuantLabel &l : qb::allQuantLabels())
        std::printf("%-8s %5d  %-8s  %-34s %s\n", l.name, int(l.ftype), qb::typeName(l.baseType), l.llamaHelp,
                    l.description);
    return 0;
}

} // namespace

void addLabelsCommand(CLI::App &app, CommandAction &action) {
    auto json = std::make_shared<bool>(false);
    CLI::App *cmd = app.add_subcommand("labels", "List the quantization labels with their descriptions");
    cmd->add_flag("--json", *json, "machine-readable output");
    cmd->callback([&action, json] { action = [json] { return printLabels(*json); }; });
}

} // namespace qbcli
