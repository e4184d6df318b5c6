// quantbench-cli make-model OUT [--size-mb N | --layers N] [--seed N]: a deterministic llama-style
// F16 model for benchmarks (packaging/bench-quantize.sh) and experiments.
#include "commands.h"
#include "demo/demo_model.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace qbcli {

void addMakeModelCommand(CLI::App &app, CommandAction &action) {
    struct Args {
        std::string output;
        double sizeMb = 300;
        int64_t layers = 0;
        uint64_t seed = 1;
    };
    auto args = std::make_shared<Args>();
    CLI::App *cmd = app.add_subcommand("make-model", "Write a deterministic llama-style F16 model of a given size");
    cmd->add_option("output", args->output, "output GGUF file")->required();
    cmd->add_option("--size-mb", args->sizeMb, "approximate size in MB (10^6 bytes); default 300")
        ->check(CLI::Range(1.0, 1e6));
    cmd->add_option("--layers", args->layers, "exact layer count instead of --size-mb")->check(CLI::Range(1, 4096));
    cmd->add_option("--seed", args->seed, "weights seed (default 1)");
    cmd->callback([&action, args] {
        action = [args] {
            qb::DemoModelSpec spec = qb::demoSpecForSize(uint64_t(args->sizeMb * 1e6));
            if (args->layers > 0) spec.layers = args->layers;
            spec.seed = args->seed;
            const uint64_t bytes = qb::writeDemoModel(args->output, spec);
            std::printf("wrote %s: %lld layers, n_embd %lld, n_ff %lld, vocab %lld, %llu parameters, %llu bytes\n",
                        args->output.c_str(), (long long)spec.layers, (long long)spec.embedding,
                        (long long)spec.feedForward, (long long)spec.vocab, (unsigned long long)spec.parameterCount(),
                        (unsigned long long)bytes);
            return 0;
        };
    });
}

} // namespace qbcli
