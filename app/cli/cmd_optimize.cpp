// quantbench-cli optimize IN (--target-size S | --target-bpw B) [--imatrix F] [--types LIST]
//                         [--pin P=T ...] [--base-label L] [--save-preset P] [--tensor-type-file F]
//                         [--print-command] [--rules 2026-09|b4748] [--json] [--threads N]
//                         [--sensitivity F | --calibrate TEXT [--save-sensitivity F] [--ctx N] [--chunks N]]
// The mix of least predicted loss within a size: each tensor's type, predicted error and reason,
// the totals, and the labels of similar size on the same scale. Writes only the files asked for.
#include "commands.h"
#include "interrupt.h"
#include "optimize_output.h"

#include "error.h"
#include "gguf/output_file.h"
#include "imatrix/importance_matrix.h"
#include "mix/option_values.h"
#include "optimize/size_optimizer.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <omp.h>

namespace qbcli {
namespace {

struct OptimizeArgs {
    std::string input, targetSize, targetBpw, imatrix, baseLabel, savePreset, tensorTypeFile;
    std::string sensitivity, calibrate, saveSensitivity;
    std::string rules = qb::ruleSetName(qb::kDefaultRuleSet);
    int ctx = 0, chunks = -1;
    std::vector<std::string> types, pins;
    bool printCommand = false, json = false, uniform = false;
    int threads = 0;
};

int runOptimize(const OptimizeArgs &a) {
    OptimizeSetup setup;
    setup.input = a.input;
    setup.imatrix = a.imatrix;
    setup.baseLabel = a.baseLabel;
    const auto rules = qb::ruleSetFromName(a.rules);
    if (!rules) throw qb::Error("--rules: unknown rule set '" + a.rules + "' (2026-09 or b4748)");
    setup.rules = *rules;
    setup.types = a.types;
    for (const auto &p : a.pins) setup.pins.push_back(qb::parseTensorTypeOption(p, "--pin"));
    setup.threads = a.threads > 0 ? a.threads : omp_get_max_threads();
    setup.uniformSensitivity = a.uniform;
    setup.sensitivityFile = a.sensitivity;
    setup.calibrateText = a.calibrate;
    setup.saveSensitivity = a.saveSensitivity;
    setup.calibrateCtx = a.ctx;
    setup.calibrateChunks = a.chunks;
    const qb::SizeTarget target =
        a.targetSize.empty() ? qb::parseBitsPerWeight(a.targetBpw) : qb::parseSizeTarget(a.targetSize);

    OptimizeSession session(setup);
    if (!a.calibrate.empty()) {
        InterruptGuard interrupt;  // Ctrl-C stops the measurement and removes its temporary files
        try {
            session.calibrate(interrupt.flag());
        } catch (const qb::Error &e) {
            if (e.kind() != qb::ErrorKind::Cancelled || !interrupt.signal()) throw;
            std::fprintf(stderr, "optimize: interrupted during the calibration, temporary files removed\n");
            return exitCodeForSignal(interrupt.signal());
        }
    }
    const auto solveStart = std::chrono::steady_clock::now();
    const qb::OptimizedMix mix = qb::solveForTarget(session.curves(), target);
    const double solveSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - solveStart).count();
    const qb::MixDecision decision = qb::decisionFor(session.curves(), mix, session.importance());
    const qb::MixPreset preset = mix.toPreset(a.imatrix);
    const std::vector<LabelComparison> labels = session.neighbourLabels(mix);

    if (!a.savePreset.empty()) preset.save(a.savePreset);
    if (!a.tensorTypeFile.empty()) qb::writeTextFileAtomically(a.tensorTypeFile, mix.tensorTypeFileText(), "the tensor-type file");
    const std::string command = llamaQuantizeCommand(preset, a.tensorTypeFile, a.input, "OUT.gguf");

    if (a.json) {
        std::printf("%s\n", optimizeJson(session, mix, decision, labels, a.printCommand ? command : "").dump(2).c_str());
        return 0;
    }
    if (session.calibration()) printCalibration(*session.calibration());
    printOptimizeText(session, mix, decision, labels);
    std::printf("curves: %zu analyses run, %.2f s; allocation solved in %.1f ms\n", session.curves().analysesRun,
                session.curves().seconds, solveSeconds * 1000.0);
    if (!a.savePreset.empty()) std::printf("preset saved to %s\n", a.savePreset.c_str());
    if (!a.saveSensitivity.empty()) std::printf("role sensitivities saved to %s\n", a.saveSensitivity.c_str());
    if (!a.tensorTypeFile.empty()) std::printf("tensor types written to %s\n", a.tensorTypeFile.c_str());
    if (a.printCommand) std::printf("%s\n", command.c_str());
    return 0;
}

} // namespace

void addOptimizeCommand(CLI::App &app, CommandAction &action) {
    auto a = std::make_shared<OptimizeArgs>();
    CLI::App *cmd = app.add_subcommand("optimize", "Choose every tensor's type to lose the least quality within a size");
    cmd->add_option("IN", a->input, "GGUF model")->required();
    auto *size = cmd->add_option("--target-size", a->targetSize,
                                 "largest output file: bytes, or with a unit (4.2GB, 4200MB, 4GiB)");
    auto *bpw = cmd->add_option("--target-bpw", a->targetBpw, "largest bits per weight of the tensor data");
    size->excludes(bpw);
    cmd->add_option("--imatrix", a->imatrix, "importance matrix (.dat or GGUF imatrix)");
    cmd->add_option("--types", a->types, "candidate types (comma-separated ggml names; default: all valid)")
        ->delimiter(',');
    cmd->add_option("--pin", a->pins, "PATTERN=TYPE: tensors matching PATTERN keep TYPE (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--base-label", a->baseLabel,
                    "label for the tensors llama.cpp never quantizes and the file type (default: the label of closest size)");
    cmd->add_option("--save-preset", a->savePreset, "save the mix as a preset");
    cmd->add_option("--tensor-type-file", a->tensorTypeFile, "write the mix as a llama-quantize --tensor-type-file");
    cmd->add_option("--rules", a->rules, "the llama.cpp whose mix rules the result follows: 2026-09 (default) or b4748")
        ->capture_default_str();
    cmd->add_flag("--print-command", a->printCommand, "print the llama-quantize command that writes the same file");
    auto *uniform = cmd->add_flag("--uniform-roles", a->uniform, "weigh every tensor role alike (no calibrated role sensitivity)");
    auto *sens = cmd->add_option("--sensitivity", a->sensitivity,
                                 "role sensitivities from a calibration file (written by --save-sensitivity)");
    auto *cal = cmd->add_option("--calibrate", a->calibrate,
                                "TEXT: measure each tensor role's sensitivity on this model first (llama.cpp, KL divergence)");
    cmd->add_option("--save-sensitivity", a->saveSensitivity, "write the calibration to a file")->needs(cal);
    cmd->add_option("--ctx", a->ctx, "context of the calibration's chunks (default: as evaluate)")
        ->check(CLI::Range(8, 1 << 20))->needs(cal);
    cmd->add_option("--chunks", a->chunks, "chunks of the text the calibration uses (default: all)")
        ->check(CLI::Range(1, 1 << 20))->needs(cal);
    sens->excludes(cal);
    uniform->excludes(sens)->excludes(cal);
    cmd->add_option("--threads", a->threads, "threads for the analysis (default: all cores)")->check(CLI::Range(1, 1024));
    cmd->add_flag("--json", a->json, "one JSON document");
    cmd->callback([a, size, bpw, &action] {
        if (size->count() == 0 && bpw->count() == 0)
            throw CLI::ValidationError("optimize", "give --target-size or --target-bpw");
        action = [a] { return runOptimize(*a); };
    });
}

} // namespace qbcli
