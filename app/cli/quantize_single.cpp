// quantize IN OUT [LABEL]: one output (one per input split with --keep-split), in named steps:
// the preset's side outputs (--save-preset, --print-command), the plan, the dry-run listing or the
// write, the summary. Prints what llama-quantize prints, tensor by tensor.
#include "quantize_args.h"

#include "error.h"
#include "gguf/output_file.h"
#include "gguf/tensor_bytes.h"
#include "imatrix/importance_matrix.h"
#include "interrupt.h"
#include "mix/plan_from_preset.h"
#include "mix/quant_label.h"
#include "pipeline/quantize_pipeline.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace qbcli {
namespace {

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

void refuseOverwritingInput(const qb::GgufModel &model, const std::filesystem::path &output) {
    for (const auto &path : model.paths())
        if (sameFile(path, output)) throw qb::Error("refusing to write over the input " + path.string());
}

// --save-preset and --print-command. True when the command is done (--print-command writes nothing else).
bool writePresetOutputs(const QuantizeArgs &a, const qb::MixPreset &preset, int threads) {
    if (!a.savePreset.empty()) {
        preset.save(a.savePreset);
        std::printf("preset saved to %s\n", a.savePreset.c_str());
    }
    if (!a.printCommand) return false;
    std::string cmd = preset.toLlamaQuantizeCommand(a.input, a.output, threads);
    std::string kv;
    for (const auto &o : a.overrideKv)
        kv += " --override-kv '" + o + "'";
    if (!kv.empty()) cmd.insert(std::string("llama-quantize").size(), kv);
    std::printf("%s\n", cmd.c_str());
    return true;
}

struct SinglePlan {
    std::shared_ptr<const qb::GgufModel> model;
    qb::PresetPlan planned;
    std::vector<qb::SplitOutput> outputs;  // one, or one per input split
};

SinglePlan planSingle(const QuantizeArgs &a, const qb::MixPreset &preset, qb::PresetRunOptions run) {
    SinglePlan s;
    s.model = qb::GgufModel::open(a.input);
    refuseOverwritingInput(*s.model, a.output);
    // A preset made for another model would silently change nothing for the names it lacks: refuse it.
    for (const auto &[name, type] : preset.tensorTypes)
        if (!s.model->findTensor(name))
            throw qb::Error((a.preset.empty() ? std::string("preset") : a.preset) + ": tensor_types names tensor '" +
                                name + "', which " + a.input + " does not have",
                            qb::ErrorKind::BadInput);
    run.dryRun = a.dryRun;
    if (a.keepSplit) run.keepSplitOutput = a.output;
    std::shared_ptr<const qb::ImportanceMatrix> loaded;
    if (!preset.imatrixFile.empty())
        loaded = std::make_shared<const qb::ImportanceMatrix>(qb::ImportanceMatrix::load(preset.imatrixFile));
    s.planned = qb::planFromPreset(*s.model, preset, std::move(loaded), run);
    if (const auto &im = s.planned.importance)
        std::printf("importance matrix: %s, %zu entries, %lld chunks, dataset '%s'\n", preset.imatrixFile.c_str(),
                    im->entries().size(), (long long)im->chunkCount(), im->dataset().c_str());
    if (a.keepSplit)
        s.outputs = std::move(s.planned.splits);
    else
        s.outputs.push_back({a.output, std::move(s.planned.plan)});
    for (const auto &o : s.outputs) refuseOverwritingInput(*s.model, o.path);
    return s;
}

void printDryRun(const qb::GgufModel &model, const qb::MixDecision &mix) {
    const size_t n = mix.tensors.size();
    for (size_t i = 0; i < n; ++i) {
        const auto &d = mix.tensors[i];
        const auto &info = *model.tensors()[d.tensor].info;
        std::printf("[%4zu/%4zu] %-36s %s %7s -> %-7s %10.3f MiB -> %10.3f MiB  %s%s\n", i + 1, n, d.name.c_str(),
                    shapeOf(info).c_str(), qb::typeName(d.source), qb::typeName(d.target), mib(info.nbytes),
                    mib(qb::tensorBytesAt(info, d.target)),
                    (std::string("[") + qb::ruleSetName(mix.rules) + "] " + d.reason).c_str(),
                    d.usesImportance ? " [imatrix]" : "");
    }
}

// llama-quantize's line for a tensor just written.
void printWritten(const qb::GgufModel &model, const qb::MixDecision &mix, size_t done, const qb::PipelineProgress &p) {
    const auto &info = *model.tensors()[mix.tensors[done - 1].tensor].info;
    if (p.from == p.to)
        std::printf("[%4zu/%4zu] %36s - %s, type = %6s, size = %8.3f MiB\n", done, mix.tensors.size(), p.name.c_str(),
                    shapeOf(info).c_str(), qb::typeName(p.from), mib(p.outputBytes));
    else
        std::printf("[%4zu/%4zu] %36s - %s, type = %6s, converting to %s .. size = %8.2f MiB -> %8.2f MiB\n", done,
                    mix.tensors.size(), p.name.c_str(), shapeOf(info).c_str(), qb::typeName(p.from),
                    qb::typeName(p.to), mib(info.nbytes), mib(p.outputBytes));
    std::fflush(stdout);
}

// Writes every output; returns the exit code of an interrupted run, or 0.
int writeOutputs(const QuantizeArgs &a, const SinglePlan &s, uint64_t quantizedBytes, int threads) {
    const std::filesystem::path folder = qb::outputFolder(a.output);
    // Hidden temporaries an earlier run left when it was killed (only where O_TMPFILE is missing).
    for (const auto &stale : qb::removeStaleTemporaries(folder))
        std::fprintf(stderr, "removed '%s', left by an interrupted run\n", stale.string().c_str());
    // Before any work: the whole set (several parts with --keep-split) must fit. Each part's
    // writer checks its exact size again.
    qb::checkFreeSpace(folder, quantizedBytes, a.output);
    size_t done = 0;
    InterruptGuard interrupt;
    qb::PipelineOptions po;
    po.threads = threads;
    po.cancel = interrupt.flag();
    po.progress = [&](const qb::PipelineProgress &p) { printWritten(*s.model, s.planned.mix, ++done, p); };
    // Several outputs (--keep-split): a failure removes the parts already written, so either
    // the whole set exists or nothing does.
    std::vector<std::filesystem::path> written;
    try {
        for (const auto &o : s.outputs) {
            const qb::PipelineResult r = qb::runQuantization(*s.model, o.plan, o.path, po);
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
    return 0;
}

struct MixTotals {
    uint64_t before = 0, after = 0, params = 0;
};

MixTotals totalsOf(const qb::GgufModel &model, const qb::MixDecision &mix) {
    MixTotals t;
    for (const auto &d : mix.tensors) {
        const auto &info = *model.tensors()[d.tensor].info;
        t.before += info.nbytes;
        t.after += qb::tensorBytesAt(info, d.target);
        t.params += uint64_t(info.elements());
    }
    return t;
}

void printSummary(const qb::MixDecision &mix, const MixTotals &t) {
    std::printf("model size = %10.2f MiB (%.2f bits per weight)\n", mib(t.before),
                t.params ? 8.0 * double(t.before) / double(t.params) : 0.0);
    std::printf("quant size = %10.2f MiB (%.2f bits per weight)\n", mib(t.after),
                t.params ? 8.0 * double(t.after) / double(t.params) : 0.0);
    if (!mix.importanceWarning.empty())
        std::printf("WARNING: dry run completed, but actually quantizing needs an importance matrix (first tensor "
                    "needing one: %s)\n",
                    mix.importanceWarning.c_str());
    if (mix.fallbackCount > 0)
        std::printf("%d of %zu tensors used a fallback type because of their row length\n", mix.fallbackCount,
                    mix.tensors.size());
}

} // namespace

int runQuantize(const QuantizeArgs &a) {
    const int threads = a.threads > 0 ? a.threads : a.positionalThreads;
    const qb::MixPreset preset = a.targetSize.empty() && a.targetBpw.empty()
                                     ? effectivePreset(a)
                                     : targetedPreset(a, effectivePreset(a), threads);
    qb::PresetRunOptions run;
    for (const auto &o : a.overrideKv) run.kvOverrides.push_back(qb::parseKvOverride(o));
    if (writePresetOutputs(a, preset, threads)) return 0;

    const SinglePlan s = planSingle(a, preset, std::move(run));
    const qb::MixDecision &mix = s.planned.mix;
    const qb::QuantLabel &label = qb::resolveAlias(preset.label());
    const MixTotals totals = totalsOf(*s.model, mix);
    std::printf("%s: %s -> %s, label %s (%s), file type %d, %zu tensors, rules %s (%s)\n",
                a.dryRun ? "dry run" : "quantize", a.input.c_str(), a.output.c_str(), label.name,
                label.description, mix.fileType, mix.tensors.size(), qb::ruleSetName(mix.rules),
                qb::ruleSetDescription(mix.rules));
    if (a.dryRun) {
        printDryRun(*s.model, mix);
    } else if (const int interrupted = writeOutputs(a, s, totals.after, threads); interrupted != 0) {
        return interrupted;
    }
    printSummary(mix, totals);
    return 0;
}

} // namespace qbcli
