// quantbench-cli make-model OUT [--size-mb N | --layers N] [--seed N] [--embedding N --feed-forward N]
// [--sparse]: a deterministic llama-style F16 model for benchmarks (packaging/bench-quantize.sh),
// experiments and the memory-bound test (--sparse: matrices are holes, so a 30 GB model costs no disk).
#include "commands.h"
#include "demo/demo_model.h"

#include <CLI/CLI.hpp>

#include <algorithm>
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
        bool moe = false;
        int embedding = 1024;
        int feedForward = 2816;
        bool sparse = false;
    };
    auto args = std::make_shared<Args>();
    CLI::App *cmd = app.add_subcommand("make-model", "Write a deterministic llama-style F16 model of a given size");
    cmd->add_option("output", args->output, "output GGUF file")->required();
    cmd->add_option("--size-mb", args->sizeMb, "approximate size in MB (10^6 bytes); default 300")
        ->check(CLI::Range(1.0, 1e6));
    cmd->add_option("--layers", args->layers, "exact layer count instead of --size-mb")->check(CLI::Range(1, 4096));
    cmd->add_option("--seed", args->seed, "weights seed (default 1)");
    cmd->add_option("--embedding", args->embedding, "n_embd, a multiple of 256 (default 1024)")
        ->check(CLI::Range(256, 65536));
    cmd->add_option("--feed-forward", args->feedForward, "n_ff, a multiple of 256 (default 2816)")
        ->check(CLI::Range(256, 262144));
    cmd->add_flag("--sparse", args->sparse, "leave the matrices as holes of a sparse file (zeros, no disk space)");
    cmd->add_flag("--moe", args->moe,
                  "the small MoE test model instead (qwen2moe: 4 layers, 8 stacked experts, a shared expert, router, "
                  "tied embeddings)");
    cmd->callback([&action, args] {
        action = [args] {
            if (args->moe) {
                const qb::DemoModelInfo info = qb::writeDemoModel(args->output, qb::moeTestModelSpec());
                std::printf("wrote %s: MoE test model, %d tensors, %llu parameters, %llu bytes\n", args->output.c_str(),
                            info.tensors, (unsigned long long)info.parameters, (unsigned long long)info.fileBytes);
                return 0;
            }
            // Benchmark shape by default (a small 7B-like layer): n_embd 1024, n_ff 2816, 16 heads / 4 kv heads, vocab
            // 32000; the layer count sets the size. F16 bytes: two vocab matrices plus per layer q, o (e x e),
            // k, v (e x e/4) and gate, up, down (e x ff).
            qb::DemoModelSpec spec = qb::benchmarkModelSpec(1);
            spec.embedding = args->embedding;
            spec.feedForward = args->feedForward;
            spec.sparse = args->sparse;
            const double e = spec.embedding, ff = spec.feedForward;
            const double fixedBytes = 2.0 * 2.0 * spec.vocabulary * e;
            const double layerBytes = 2.0 * (2.0 * e * e + 2.0 * e * e / 4.0 + 3.0 * e * ff);
            const double wanted = args->sizeMb * 1e6;
            spec.layers = args->layers > 0 ? int(args->layers)
                                           : std::max(1, int((wanted - fixedBytes) / layerBytes + 0.5));
            spec.seed = args->seed;
            const qb::DemoModelInfo info = qb::writeDemoModel(args->output, spec);
            std::printf("wrote %s: %d layers, n_embd %d, n_ff %d, vocab %d, %llu parameters, %llu bytes\n",
                        args->output.c_str(), spec.layers, spec.embedding, spec.feedForward, spec.vocabulary,
                        (unsigned long long)info.parameters, (unsigned long long)info.fileBytes);
            return 0;
        };
    });
}

} // namespace qbcli
