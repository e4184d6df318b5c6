// quantbench-cli quantize IN OUT [LABEL] [THREADS] [llama-quantize's options] [--dry-run]
//                         [--preset FILE] [--save-preset FILE] [--print-command]
//                         or IN --labels L1,L2,... [--preset P ...] [--out PATTERN] [--fail-fast]: quantize_many.h
// Whole-model quantization by label, byte-identical to llama-quantize of the chosen rule set
// (--rules 2026-09, the default, or b4748). This file registers the command's options and picks
// the run: one output (quantize_single.cpp) or several in one pass (quantize_many.cpp); the
// effective preset is built in quantize_preset.cpp. Writes nothing on --dry-run, --print-command,
// refusal, failure or cancellation; never writes over the input.
#include "commands.h"
#include "mix/quant_label.h"
#include "quantize_args.h"
#include "quantize_many.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace qbcli {
namespace {

// The two options whose entries interleave in command-line order.
struct TensorTypeOptions {
    CLI::Option *tensorType = nullptr;
    CLI::Option *tensorTypeFile = nullptr;
};

void addLabelFooter(CLI::App *cmd) {
    std::string labels = "\nLabels of rule set 2026-09 (llama-quantize's; a numeric id works too; b4748 lacks "
                         "Q1_0, Q2_0 and MXFP4_MOE):\n";
    for (const qb::QuantLabel *l : qb::quantLabels(qb::RuleSet::R2026_09)) {
        char line[256];
        std::snprintf(line, sizeof line, "  %-8s %3d  %s\n", l->name, int(l->ftype), l->description);
        labels += line;
    }
    cmd->footer(labels);
}

// Input, output, label, threads and rule set.
void addRunOptions(CLI::App *cmd, QuantizeArgs *args) {
    cmd->add_option("input", args->input, "input GGUF model (any part of a split set)")->required();
    cmd->add_option("output", args->output, "output GGUF file (not with --labels: see --out)");
    cmd->add_option("label", args->label, "label (Q4_K_M, IQ3_S, ... or its numeric id); optional with --preset");
    cmd->add_option("nthreads", args->positionalThreads, "thread count (llama-quantize's trailing positional)")
        ->check(CLI::Range(1, 4096));
    cmd->add_option("--threads", args->threads, "worker threads (default: all cores)")->check(CLI::Range(1, 4096));
    cmd->add_option("--rules", args->rules,
                    "which llama.cpp to reproduce: 2026-09 (0ad4a86, default) or b4748 (default with --preset: the "
                    "preset's)");
    cmd->add_option("--prune-layers", args->pruneLayers,
                    "L0,L1,...: drop these layers, renumber the rest and rewrite <arch>.block_count (2026-09)");
}

// llama-quantize's mix options: importance matrix, type overrides, flags.
TensorTypeOptions addMixOptions(CLI::App *cmd, QuantizeArgs *args) {
    cmd->add_option("--imatrix", args->imatrix, "importance matrix (.dat or GGUF imatrix)");
    cmd->add_option("--include-weights", args->includeWeights,
                    "use importance data only for tensors containing this (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--exclude-weights", args->excludeWeights,
                    "ignore importance data for tensors containing this (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--output-tensor-type", args->outputTensorType, "type for output.weight");
    cmd->add_option("--token-embedding-type", args->tokenEmbeddingType, "type for token_embd.weight");
    TensorTypeOptions handles;
    handles.tensorType =
        cmd->add_option("--tensor-type", args->tensorTypes,
                        "PATTERN=TYPE: regex searched in tensor names, lower-cased as llama-quantize does; the "
                        "first match wins (repeatable)")
            ->allow_extra_args(false);
    handles.tensorTypeFile =
        cmd->add_option("--tensor-type-file", args->tensorTypeFiles,
                        "file of PATTERN=TYPE entries (whitespace separated), taking its place among --tensor-type "
                        "entries (repeatable)")
            ->allow_extra_args(false);
    cmd->add_flag("--pure", args->pure, "no per-tensor mix rules: every quantizable tensor gets the label's base type");
    cmd->add_flag("--leave-output-tensor", args->leaveOutputTensor, "leave output.weight unquantized");
    cmd->add_flag("--allow-requantize", args->allowRequantize, "allow quantized input tensors (dequantized first)");
    return handles;
}

// What is written: split parts, kv overrides, presets, several outputs, size targets.
void addOutputOptions(CLI::App *cmd, QuantizeArgs *args) {
    cmd->add_flag("--keep-split", args->keepSplit, "one output per input split: OUT-0000i-of-0000N.gguf");
    cmd->add_option("--override-kv", args->overrideKv,
                    "KEY=TYPE:VALUE metadata override, TYPE int|float|bool|str (repeatable)")
        ->allow_extra_args(false);
    cmd->add_flag("--dry-run", args->dryRun, "print each tensor's type, reason and size; write nothing");
    cmd->add_option("--preset", args->presets,
                    "start from a saved preset (command-line options add to it); with --labels or repeated, "
                    "one more output each")
        ->allow_extra_args(false);
    cmd->add_option("--labels", args->labels,
                    "several outputs in one pass: comma-separated labels or ids, or 'all' (see --out)");
    cmd->add_option("--out", args->outPattern,
                    "with --labels: output file pattern, {model} and {label} replaced "
                    "(default: beside the input, '{model}-{label}.gguf')");
    cmd->add_flag("--fail-fast", args->failFast,
                  "with --labels: a refused or failed output stops all (default: the others go on)");
    cmd->add_option("--save-preset", args->savePreset, "save the effective mix as a preset");
    cmd->add_flag("--print-command", args->printCommand, "print the equivalent llama-quantize command and exit");
    auto *targetSize = cmd->add_option("--target-size", args->targetSize,
                                       "choose every tensor's type for the least predicted loss within this file size "
                                       "(bytes, or 4.2GB, 4200MB, 4GiB); LABEL, if given, is the base label");
    cmd->add_option("--target-bpw", args->targetBpw, "as --target-size, for bits per weight of the tensor data")
        ->excludes(targetSize);
}

// CLI11 records every occurrence of an option in parse order: interleave the two lists.
void orderTensorTypeSources(const CLI::App *cmd, const TensorTypeOptions &handles, QuantizeArgs &args) {
    size_t nextType = 0, nextFile = 0;
    for (const CLI::Option *o : cmd->parse_order()) {
        if (o == handles.tensorType && nextType < args.tensorTypes.size())
            args.tensorTypeSources.emplace_back(false, args.tensorTypes[nextType++]);
        else if (o == handles.tensorTypeFile && nextFile < args.tensorTypeFiles.size())
            args.tensorTypeSources.emplace_back(true, args.tensorTypeFiles[nextFile++]);
    }
    if (nextType != args.tensorTypes.size() || nextFile != args.tensorTypeFiles.size())
        throw CLI::ValidationError("--tensor-type", "could not order --tensor-type and --tensor-type-file entries");
}

CommandAction singleAction(const std::shared_ptr<QuantizeArgs> &args) {
    if (args->output.empty()) throw CLI::RequiredError("output");
    if (args->failFast) throw CLI::ValidationError("--fail-fast", "only with --labels");
    if (!args->presets.empty()) args->preset = args->presets.front();
    return [args] { return runQuantize(*args); };
}

CommandAction manyAction(const std::shared_ptr<QuantizeArgs> &args) {
    if (!args->output.empty())
        throw CLI::ValidationError("output", "with --labels give --out PATTERN, not an output file");
    if (!args->label.empty() || args->positionalThreads != 0)
        throw CLI::ValidationError("label", "with --labels the labels come from --labels");
    // --prune-layers is not part of a preset, so the per-output presets could not carry it.
    if (args->keepSplit || args->dryRun || args->printCommand || !args->savePreset.empty() ||
        !args->pruneLayers.empty())
        throw CLI::ValidationError(
            "--labels", "--keep-split, --dry-run, --print-command, --save-preset and --prune-layers take one output");
    return [args] {
        ManyQuantizeRequest request;
        request.input = args->input;
        request.labels = args->labels;
        request.presets = args->presets;
        request.outPattern = args->outPattern;
        request.failFast = args->failFast;
        request.threads = args->threads;
        request.overrideKv = args->overrideKv;
        // The command line's shared options applied to each output as to a single run.
        request.presetFor = [args](const std::string &label, const std::string &presetFile) {
            QuantizeArgs one = *args;
            one.label = label;
            one.preset = presetFile;
            return effectivePreset(one);
        };
        return runQuantizeMany(request);
    };
}

} // namespace

void addQuantizeCommand(CLI::App &app, CommandAction &action) {
    auto args = std::make_shared<QuantizeArgs>();
    CLI::App *cmd = app.add_subcommand(
        "quantize", "Quantize a model by label, exactly as llama-quantize of the rule set does (default 2026-09)");
    addLabelFooter(cmd);
    addRunOptions(cmd, args.get());
    const TensorTypeOptions handles = addMixOptions(cmd, args.get());
    addOutputOptions(cmd, args.get());
    cmd->callback([&action, args, cmd, handles] {
        orderTensorTypeSources(cmd, handles, *args);
        const bool many = !args->labels.empty() || args->presets.size() > 1 || !args->outPattern.empty();
        action = many ? manyAction(args) : singleAction(args);
    });
}

} // namespace qbcli
