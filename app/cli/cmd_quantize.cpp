// quantbench-cli quantize IN OUT [LABEL] [THREADS] [llama-quantize's options] [--dry-run]
//                         [--preset FILE] [--save-preset FILE] [--print-command]
//                         or IN --labels L1,L2,... [--preset P ...] [--out PATTERN] [--fail-fast]: quantize_many.h
// Whole-model quantization by label, byte-identical to llama-quantize of the chosen rule set
// (--rules 2026-09, the default, or b4748). Prints one line per
// tensor as llama-quantize does, then a summary. Writes nothing on --dry-run, --print-command,
// refusal, failure or cancellation; never writes over the input.
#include "commands.h"
#include "optimize_output.h"
#include "error.h"
#include "gguf/output_file.h"
#include "gguf/tensor_bytes.h"
#include "interrupt.h"
#include "imatrix/importance_matrix.h"
#include "mix/mix_rules.h"
#include "mix/option_values.h"
#include "mix/plan_builder.h"
#include "mix/preset.h"
#include "mix/quant_label.h"
#include "pipeline/quantize_pipeline.h"
#include "quantize_many.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <omp.h>

namespace qbcli {
namespace {

struct QuantizeArgs {
    std::string input, output, label;
    int positionalThreads = 0;
    int threads = 0;
    std::string imatrix;
    std::vector<std::string> includeWeights, excludeWeights;
    std::string outputTensorType, tokenEmbeddingType;
    std::vector<std::string> tensorTypes, tensorTypeFiles;
    // Both, in command-line order (first match wins, so order matters): {is a file, text}.
    std::vector<std::pair<bool, std::string>> tensorTypeSources;
    bool pure = false, leaveOutputTensor = false, allowRequantize = false, keepSplit = false;
    std::vector<std::string> overrideKv;
    bool dryRun = false, printCommand = false;
    std::string preset, savePreset;
    // Several outputs in one pass (quantize_many.h): --labels, several --preset, --out.
    std::string labels, outPattern;
    std::vector<std::string> presets;
    bool failFast = false;
    std::string rules;              // --rules; empty: the preset's, else kDefaultRuleSet
    std::string pruneLayers;        // --prune-layers L0,L1,...
    std::string targetSize, targetBpw;  // size-targeted mix (optimize_output.h)
};

qb::RuleSet parseRules(const std::string &name) {
    const auto r = qb::ruleSetFromName(name);
    if (!r) throw qb::Error("--rules: unknown rule set '" + name + "' (2026-09 or b4748)");
    return *r;
}

// --prune-layers L0,L1,...: non-negative layer numbers; sorted and deduplicated as llama-quantize does.
std::vector<int> parsePruneLayers(const std::string &text) {
    std::vector<int> out;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = std::min(text.find(',', start), text.size());
        const std::string item = text.substr(start, comma - start);
        int id = -1;
        const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
        if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || id < 0)
            throw qb::Error("--prune-layers: invalid layer id '" + item + "' (expected L0,L1,... non-negative numbers)");
        out.push_back(id);
        start = comma + 1;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// The preset equivalent of the command line (a preset given with --preset is the starting point).
qb::MixPreset effectivePreset(const QuantizeArgs &a) {
    qb::MixPreset p;
    if (!a.preset.empty())
        p = qb::MixPreset::load(a.preset);
    else if (a.label.empty() && a.targetSize.empty() && a.targetBpw.empty())
        throw qb::Error("quantize: give a LABEL (see `quantbench-cli labels`), --preset FILE or --target-size/--target-bpw");
    if (!a.rules.empty()) p.ruleSet = parseRules(a.rules);
    if (!a.label.empty()) {
        if (!qb::findQuantLabel(a.label, p.ruleSet))
            throw qb::Error("unknown label '" + a.label + "' for rule set " + qb::ruleSetName(p.ruleSet) +
                            " (see `quantbench-cli labels --rules " + qb::ruleSetName(p.ruleSet) + "`)");
        p.baseLabel = a.label;
    } else if (!qb::findQuantLabel(p.baseLabel, p.ruleSet)) {
        throw qb::Error("the preset's label " + p.baseLabel + " does not exist in rule set " + qb::ruleSetName(p.ruleSet));
    }
    // Command-line patterns come first, so they win over the preset's rules; among them,
    // --tensor-type and --tensor-type-file entries in command-line order, as llama-quantize keeps them.
    std::vector<qb::TensorTypeOverride> rules;
    for (const auto &[isFile, text] : a.tensorTypeSources)
        if (isFile)
            for (auto &t : qb::readTensorTypeFile(text))
                rules.push_back(std::move(t));
        else
            rules.push_back(qb::parseTensorTypeOption(text, "--tensor-type"));
    rules.insert(rules.end(), p.rules.begin(), p.rules.end());
    p.rules = std::move(rules);
    if (!a.outputTensorType.empty())
        p.outputTensorType = qb::parseTypeOption(a.outputTensorType, "--output-tensor-type");
    if (!a.tokenEmbeddingType.empty())
        p.tokenEmbeddingType = qb::parseTypeOption(a.tokenEmbeddingType, "--token-embedding-type");
    p.pure = p.pure || a.pure;
    p.leaveOutputTensor = p.leaveOutputTensor || a.leaveOutputTensor;
    p.allowRequantize = p.allowRequantize || a.allowRequantize;
    if (!a.imatrix.empty()) p.imatrixFile = a.imatrix;
    p.includeWeights.insert(p.includeWeights.end(), a.includeWeights.begin(), a.includeWeights.end());
    p.excludeWeights.insert(p.excludeWeights.end(), a.excludeWeights.begin(), a.excludeWeights.end());
    if (!p.includeWeights.empty() && !p.excludeWeights.empty())
        throw qb::Error("--include-weights and --exclude-weights cannot be used together (as in llama-quantize)");
    return p;
}

std::string shapeOf(const qb::GgufTensorInfo &t) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "[%5lld, %5lld, %5lld, %5lld]", (long long)t.ne[0], (long long)t.ne[1],
                  (long long)t.ne[2], (long long)t.ne[3]);
    return buf;
}

double mib(uint64_t bytes) { return double(bytes) / (1024.0 * 1024.0); }

bool sameFile(const std::filesystem::path &a, const std::filesystem::path &b) {
    std::error_code ec;
    return std::filesystem::exists(b, ec) && std::filesystem::equivalent(a, b, ec);
}

// --target-size/--target-bpw: the optimizer's mix, the command line's and preset's patterns as
// pins, the label (if any) as the base label. Options that would change the mix afterwards are refused.
qb::MixPreset targetedPreset(const QuantizeArgs &a, const qb::MixPreset &given, int threads) {
    if (given.pure || given.outputTensorType || given.tokenEmbeddingType || !given.includeWeights.empty() ||
        !given.excludeWeights.empty() || a.keepSplit || given.leaveOutputTensor || given.allowRequantize ||
        !given.tensorTypes.empty())
        throw qb::Error("--target-size/--target-bpw choose every tensor's type: they cannot be combined with --pure, "
                        "--output-tensor-type, --token-embedding-type, --include/--exclude-weights, "
                        "--leave-output-tensor, --allow-requantize, --keep-split or a preset's tensor_types "
                        "(pin tensors with --tensor-type instead)");
    OptimizeSetup setup;
    setup.input = a.input;
    setup.imatrix = given.imatrixFile;
    if (!a.label.empty() || !a.preset.empty()) setup.baseLabel = given.baseLabel;
    setup.pins = given.rules;
    setup.threads = threads > 0 ? threads : omp_get_max_threads();
    const qb::SizeTarget target =
        a.targetSize.empty() ? qb::parseBitsPerWeight(a.targetBpw) : qb::parseSizeTarget(a.targetSize);
    OptimizeSession session(setup);
    const qb::OptimizedMix mix = qb::solveForTarget(session.curves(), target);
    std::printf("optimizer: %s within %s: %llu bytes, %.4f bits per weight, predicted relative error %.6g\n",
                mix.baseLabel->name, target.describe().c_str(), (unsigned long long)mix.fileBytes, mix.bitsPerWeight,
                mix.relativeError);
    qb::MixPreset p = mix.toPreset(given.imatrixFile);
    p.rules = given.rules;  // the pins, restated (the optimizer's exact names come first and agree with them)
    return p;
}

int runQuantize(const QuantizeArgs &a) {
    const int threadCount = a.threads > 0 ? a.threads : a.positionalThreads;
    const qb::MixPreset preset = a.targetSize.empty() && a.targetBpw.empty()
                                     ? effectivePreset(a)
                                     : targetedPreset(a, effectivePreset(a), threadCount);
    std::vector<qb::GgufKeyValue> kvOverrides;
    for (const auto &o : a.overrideKv)
        kvOverrides.push_back(qb::parseKvOverride(o));
    const int threads = a.threads > 0 ? a.threads : a.positionalThreads;

    if (!a.savePreset.empty()) {
        preset.save(a.savePreset);
        std::printf("preset saved to %s\n", a.savePreset.c_str());
    }
    if (a.printCommand) {
        std::string cmd = preset.toLlamaQuantizeCommand(a.input, a.output, threads);
        std::string kv;
        for (const auto &o : a.overrideKv)
            kv += " --override-kv '" + o + "'";
        if (!kv.empty()) cmd.insert(std::string("llama-quantize").size(), kv);
        std::printf("%s\n", cmd.c_str());
        return 0;
    }

    const auto model = qb::GgufModel::open(a.input);
    for (const auto &path : model->paths())
        if (sameFile(path, a.output)) throw qb::Error("refusing to write over the input " + path.string());
    // A preset made for another model would silently change nothing for the names it lacks: refuse it.
    for (const auto &[name, type] : preset.tensorTypes)
        if (!model->findTensor(name))
            throw qb::Error((a.preset.empty() ? std::string("preset") : a.preset) + ": tensor_types names tensor '" +
                                name + "', which " + a.input + " does not have",
                            qb::ErrorKind::BadInput);
    qb::QuantizeOptions options = preset.toOptions();
    options.keepSplit = a.keepSplit;
    if (!a.pruneLayers.empty()) options.pruneLayers = parsePruneLayers(a.pruneLayers);
    options.dryRun = a.dryRun;
    std::optional<qb::ImportanceMatrix> imatrix;
    if (!preset.imatrixFile.empty()) {
        imatrix = qb::filterImportance(qb::ImportanceMatrix::load(preset.imatrixFile), options);
        std::printf("importance matrix: %s, %zu entries, %lld chunks, dataset '%s'\n", preset.imatrixFile.c_str(),
                    imatrix->entries().size(), (long long)imatrix->chunkCount(), imatrix->dataset().c_str());
    }
    const qb::QuantLabel &label = qb::resolveAlias(preset.label());
    const qb::MixDecision mix = qb::decideMix(*model, label, options, imatrix ? &*imatrix : nullptr);
    qb::PlanOptions planOptions;
    planOptions.imatrixFile = preset.imatrixFile;
    planOptions.kvOverrides = kvOverrides;
    std::vector<qb::SplitOutput> outputs;
    if (a.keepSplit) {
        outputs = qb::buildSplitPlans(*model, mix, imatrix ? &*imatrix : nullptr, planOptions, a.output);
    } else {
        outputs.push_back({a.output, qb::buildExecutionPlan(*model, mix, imatrix ? &*imatrix : nullptr, planOptions)});
    }
    for (const auto &o : outputs)
        for (const auto &path : model->paths())
            if (sameFile(path, o.path)) throw qb::Error("refusing to write over the input " + path.string());

    uint64_t before = 0, after = 0, params = 0;
    for (const auto &d : mix.tensors) {
        const auto &info = *model->tensors()[d.tensor].info;
        before += info.nbytes;
        after += qb::tensorBytesAt(info, d.target);
        params += uint64_t(info.elements());
    }
    std::printf("%s: %s -> %s, label %s (%s), file type %d, %zu tensors, rules %s (%s)\n",
                a.dryRun ? "dry run" : "quantize", a.input.c_str(), a.output.c_str(), label.name, label.description,
                mix.fileType, mix.tensors.size(), qb::ruleSetName(mix.rules), qb::ruleSetDescription(mix.rules));

    if (a.dryRun) {
        const size_t n = mix.tensors.size();
        for (size_t i = 0; i < n; ++i) {
            const auto &d = mix.tensors[i];
            const auto &info = *model->tensors()[d.tensor].info;
            std::printf("[%4zu/%4zu] %-36s %s %7s -> %-7s %10.3f MiB -> %10.3f MiB  %s%s\n", i + 1, n, d.name.c_str(),
                        shapeOf(info).c_str(), qb::typeName(d.source), qb::typeName(d.target), mib(info.nbytes),
                        mib(qb::tensorBytesAt(info, d.target)),
                        (std::string("[") + qb::ruleSetName(mix.rules) + "] " + d.reason).c_str(),
                        d.usesImportance ? " [imatrix]" : "");
        }
    } else {
        const std::filesystem::path folder = qb::outputFolder(a.output);
        // Hidden temporaries an earlier run left when it was killed (only where O_TMPFILE is missing).
        for (const auto &stale : qb::removeStaleTemporaries(folder))
            std::fprintf(stderr, "removed '%s', left by an interrupted run\n", stale.string().c_str());
        // Before any work: the whole set (several parts with --keep-split) must fit. Each part's
        // writer checks its exact size again.
        qb::checkFreeSpace(folder, after, a.output);
        size_t done = 0;
        InterruptGuard interrupt;
        qb::PipelineOptions po;
        po.threads = threads;
        po.cancel = interrupt.flag();
        po.progress = [&](const qb::PipelineProgress &p) {
            const auto &d = mix.tensors[done];
            const auto &info = *model->tensors()[d.tensor].info;
            ++done;
            if (p.from == p.to)
                std::printf("[%4zu/%4zu] %36s - %s, type = %6s, size = %8.3f MiB\n", done, mix.tensors.size(),
                            p.name.c_str(), shapeOf(info).c_str(), qb::typeName(p.from), mib(p.outputBytes));
            else
                std::printf("[%4zu/%4zu] %36s - %s, type = %6s, converting to %s .. size = %8.2f MiB -> %8.2f MiB\n",
                            done, mix.tensors.size(), p.name.c_str(), shapeOf(info).c_str(), qb::typeName(p.from),
                            qb::typeName(p.to), mib(info.nbytes), mib(p.outputBytes));
            std::fflush(stdout);
        };
        // Several outputs (--keep-split): a failure removes the parts already written, so either
        // the whole set exists or nothing does.
        std::vector<std::filesystem::path> written;
        try {
            for (const auto &o : outputs) {
                const qb::PipelineResult r = qb::runQuantization(*model, o.plan, o.path, po);
                written.push_back(o.path);
                std::printf("\nwrote %s: %llu bytes in %.3f s (%.1f MB/s of input)\n", o.path.string().c_str(),
                            (unsigned long long)r.fileBytes, r.seconds,
                            r.seconds > 0 ? double(r.inputBytes) / 1e6 / r.seconds : 0.0);
            }
        } catch (...) {
            for (const auto &path : written)
                std::filesystem::remove(path);
            if (interrupt.signal() != 0) {
                std::fprintf(stderr, "\ninterrupted (signal %d): no output was written\n", interrupt.signal());
                return exitCodeForSignal(interrupt.signal());
            }
            throw;
        }
    }
    std::printf("model size = %10.2f MiB (%.2f bits per weight)\n", mib(before),
                params ? 8.0 * double(before) / double(params) : 0.0);
    std::printf("quant size = %10.2f MiB (%.2f bits per weight)\n", mib(after),
                params ? 8.0 * double(after) / double(params) : 0.0);
    if (!mix.importanceWarning.empty())
        std::printf("WARNING: dry run completed, but actually quantizing needs an importance matrix (first tensor "
                    "needing one: %s)\n",
                    mix.importanceWarning.c_str());
    if (mix.fallbackCount > 0)
        std::printf("%d of %zu tensors used a fallback type because of their row length\n", mix.fallbackCount,
                    mix.tensors.size());
    return 0;
}

} // namespace

void addQuantizeCommand(CLI::App &app, CommandAction &action) {
    auto args = std::make_shared<QuantizeArgs>();
    CLI::App *cmd = app.add_subcommand(
        "quantize", "Quantize a model by label, exactly as llama-quantize of the rule set does (default 2026-09)");
    std::string labels = "\nLabels of rule set 2026-09 (llama-quantize's; a numeric id works too; b4748 lacks "
                         "Q1_0, Q2_0 and MXFP4_MOE):\n";
    for (const qb::QuantLabel *l : qb::quantLabels(qb::RuleSet::R2026_09)) {
        char line[256];
        std::snprintf(line, sizeof line, "  %-8s %3d  %s\n", l->name, int(l->ftype), l->description);
        labels += line;
    }
    cmd->footer(labels);
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
    cmd->add_option("--imatrix", args->imatrix, "importance matrix (.dat or GGUF imatrix)");
    cmd->add_option("--include-weights", args->includeWeights,
                    "use importance data only for tensors containing this (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--exclude-weights", args->excludeWeights,
                    "ignore importance data for tensors containing this (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--output-tensor-type", args->outputTensorType, "type for output.weight");
    cmd->add_option("--token-embedding-type", args->tokenEmbeddingType, "type for token_embd.weight");
    CLI::Option *tensorType =
        cmd->add_option("--tensor-type", args->tensorTypes,
                        "PATTERN=TYPE: regex searched in tensor names, lower-cased as llama-quantize does; the "
                        "first match wins (repeatable)")
            ->allow_extra_args(false);
    CLI::Option *tensorTypeFile =
        cmd->add_option("--tensor-type-file", args->tensorTypeFiles,
                        "file of PATTERN=TYPE entries (whitespace separated), taking its place among --tensor-type "
                        "entries (repeatable)")
            ->allow_extra_args(false);
    cmd->add_flag("--pure", args->pure, "no per-tensor mix rules: every quantizable tensor gets the label's base type");
    cmd->add_flag("--leave-output-tensor", args->leaveOutputTensor, "leave output.weight unquantized");
    cmd->add_flag("--allow-requantize", args->allowRequantize, "allow quantized input tensors (dequantized first)");
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
    cmd->callback([&action, args, cmd, tensorType, tensorTypeFile] {
        // CLI11 records every occurrence of an option in parse order: interleave the two lists.
        size_t nextType = 0, nextFile = 0;
        for (const CLI::Option *o : cmd->parse_order()) {
            if (o == tensorType && nextType < args->tensorTypes.size())
                args->tensorTypeSources.emplace_back(false, args->tensorTypes[nextType++]);
            else if (o == tensorTypeFile && nextFile < args->tensorTypeFiles.size())
                args->tensorTypeSources.emplace_back(true, args->tensorTypeFiles[nextFile++]);
        }
        if (nextType != args->tensorTypes.size() || nextFile != args->tensorTypeFiles.size())
            throw CLI::ValidationError("--tensor-type", "could not order --tensor-type and --tensor-type-file entries");
        const bool many = !args->labels.empty() || args->presets.size() > 1 || !args->outPattern.empty();
        if (!many) {
            if (args->output.empty()) throw CLI::RequiredError("output");
            if (args->failFast) throw CLI::ValidationError("--fail-fast", "only with --labels");
            if (!args->presets.empty()) args->preset = args->presets.front();
            action = [args] { return runQuantize(*args); };
            return;
        }
        if (!args->output.empty())
            throw CLI::ValidationError("output", "with --labels give --out PATTERN, not an output file");
        if (!args->label.empty() || args->positionalThreads != 0)
            throw CLI::ValidationError("label", "with --labels the labels come from --labels");
        // --prune-layers is not part of a preset, so the per-output presets could not carry it.
        if (args->keepSplit || args->dryRun || args->printCommand || !args->savePreset.empty() ||
            !args->pruneLayers.empty())
            throw CLI::ValidationError(
                "--labels", "--keep-split, --dry-run, --print-command, --save-preset and --prune-layers take one output");
        action = [args] {
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
    });
}

} // namespace qbcli
