// quantbench-cli make-demo OUT: writes the deterministic demo model (see core/demo/demo_model.h).
#include "commands.h"
#include "demo/demo_model.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace qbcli {

void addMakeDemoCommand(CLI::App &app, CommandAction &action) {
    auto output = std::make_shared<std::string>();
    CLI::App *cmd = app.add_subcommand("make-demo", "Write the synthetic llama-style demo model (F16, a few million parameters)");
    cmd->add_option("OUT", *output, "Output .gguf file")->required();
    cmd->callback([&action, output] {
        action = [output] {
            const qb::DemoModelInfo info = qb::writeDemoModel(*output);
            std::printf("wrote %s: %d tensors, %llu parameters, %llu bytes\n", output->c_str(), info.tensors,
                        static_cast<unsigned long long>(info.parameters), static_cast<unsigned long long>(info.fileBytes));
            return 0;
        };
    });
}

} // namespace qbcli
