#include "quantize_many.h"

#include "analysis/label_table.h"
#include "error.h"
#include "imatrix/importance_matrix.h"
#include "interrupt.h"
#include "mix/plan_builder.h"
#include "mix/plan_from_preset.h"
#include "mix/quant_label.h"
#include "pipeline/multi_quantize.h"

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace qbcli {
namespace {

struct PlannedOutput {
    std::string name;  // label or preset file stem: {label}
    std::string source;  // what the user asked for, for messages
    bool fromPreset = false;
    std::filesystem::path path;
    qb::ExecutionPlan plan;
    uint64_t parameters = 0;
    std::string refusal;  // non-empty: refused before any work
};

std::string replaceAll(std::string text, const std::string &from, const std::string &to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

double mib(uint64_t bytes) { return double(bytes) / (1024.0 * 1024.0); }

// Importance matrices loaded once per file: outputs without --include/--exclude-weights share
// the same vectors, so their quantizations are recognised as the same without comparing data.
class ImportanceCache {
public:
    std::shared_ptr<const qb::ImportanceMatrix> get(const std::string &file) {
        if (file.empty()) return nullptr;
        auto &slot = m_loaded[file];
        if (!slot) slot = std::make_shared<const qb::ImportanceMatrix>(qb::ImportanceMatrix::load(file));
        return slot;
    }
    // The matrix line, once per matrix as a preset's include/exclude patterns narrowed it.
    void report(const qb::MixPreset &preset, const qb::ImportanceMatrix &used) {
        std::string key = preset.imatrixFile;
        for (const auto &w : preset.includeWeights) key += "\n+" + w;
        for (const auto &w : preset.excludeWeights) key += "\n-" + w;
        if (!m_reported.insert(key).second) return;
        std::printf("importance matrix: %s, %zu entries, %lld chunks, dataset '%s'\n", preset.imatrixFile.c_str(),
                    used.entries().size(), (long long)used.chunkCount(), used.dataset().c_str());
    }

private:
    std::map<std::string, std::shared_ptr<const qb::ImportanceMatrix>> m_loaded;
    std::set<std::string> m_reported;
};

// One output's plan, exactly as a single-label run of quantize builds it.
void planOutput(PlannedOutput &out, const qb::GgufModel &model, const qb::MixPreset &preset,
                const std::vector<qb::GgufKeyValue> &kvOverrides, ImportanceCache &imatrices) {
    qb::PresetRunOptions run;
    run.kvOverrides = kvOverrides;
    qb::PresetPlan planned = qb::planFromPreset(model, preset, imatrices.get(preset.imatrixFile), run);
    if (planned.importance) imatrices.report(preset, *planned.importance);
    out.plan = std::move(planned.plan);
    for (const auto &d : planned.mix.tensors) out.parameters += uint64_t(model.tensors()[d.tensor].info->elements());
}

std::string feedLine(const qb::MultiTensorProgress &p, const std::vector<PlannedOutput> &outs, size_t live) {
    std::string line;
    for (const qb::TensorFeed &f : p.feeds) {
        if (!line.empty()) line += ", ";
        line += qb::typeName(f.type);
        if (f.copied) line += " copied";
        line += " (";
        if (f.outputs.size() == live && p.feeds.size() == 1) {
            line += "all";
        } else {
            for (size_t k = 0; k < f.outputs.size(); ++k) line += (k ? ", " : "") + outs[f.outputs[k]].name;
        }
        line += ")";
    }
    return line;
}

} // namespace

std::string modelNameForPattern(const std::string &input) {
    std::string name = std::filesystem::path(input).filename().string();
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".gguf") == 0) name.resize(name.size() - 5);
    static const std::regex split("-[0-9]{5}-of-[0-9]{5}$");
    return std::regex_replace(name, split, "");
}

namespace {

// One output per label, then one per preset file, in command-line order.
std::vector<PlannedOutput> requestedOutputs(const ManyQuantizeRequest &r) {
    std::vector<PlannedOutput> outs;
    if (!r.labels.empty())
        for (const qb::QuantLabel *label : qb::parseLabelList(r.labels)) {
            PlannedOutput out;
            out.name = out.source = label->name;
            outs.push_back(std::move(out));
        }
    for (const std::string &file : r.presets) {
        PlannedOutput out;
        out.name = std::filesystem::path(file).stem().string();
        out.source = file;
        out.fromPreset = true;
        outs.push_back(std::move(out));
    }
    if (outs.empty()) throw qb::Error("quantize: --labels or --preset names no output", qb::ErrorKind::BadInput);
    return outs;
}

std::string outputPattern(const ManyQuantizeRequest &r, size_t outputCount) {
    std::string pattern = r.outPattern;
    if (pattern.empty())
        pattern = (std::filesystem::path(r.input).parent_path() / "{model}-{label}.gguf").string();
    if (outputCount > 1 && pattern.find("{label}") == std::string::npos)
        throw qb::Error("--out '" + pattern + "' has no {label}: every output would get the same name",
                        qb::ErrorKind::BadInput);
    return pattern;
}

// Every refusal is found and reported before any tensor is read. Returns the number refused.
size_t planAll(std::vector<PlannedOutput> &outs, const ManyQuantizeRequest &r, const qb::GgufModel &model,
               const std::string &pattern, const std::vector<qb::GgufKeyValue> &kvOverrides) {
    const std::string modelName = modelNameForPattern(r.input);
    ImportanceCache imatrices;
    size_t refused = 0;
    for (PlannedOutput &out : outs) {
        out.path = replaceAll(replaceAll(pattern, "{model}", modelName), "{label}", out.name);
        try {
            planOutput(out, model, out.fromPreset ? r.presetFor("", out.source) : r.presetFor(out.name, ""),
                       kvOverrides, imatrices);
        } catch (const qb::Error &e) {
            out.refusal = e.what();
            ++refused;
            std::fprintf(stderr, "refused: %s: %s\n", out.source.c_str(), e.what());
        }
    }
    return refused;
}

// The final table: refused outputs first, then each run output's state. Counts failed and refused.
void printOutcomes(const std::vector<PlannedOutput> &outs, const std::vector<PlannedOutput> &running,
                   const qb::MultiQuantizeResult &result, size_t &written, size_t &failed, size_t &refused) {
    std::printf("\n%-10s %-9s %12s %8s  %s\n", "output", "state", "size MiB", "bpw", "file");
    for (const PlannedOutput &o : outs)
        if (!o.refusal.empty()) std::printf("%-10s %-9s %12s %8s  %s\n", o.name.c_str(), "refused", "-", "-", o.refusal.c_str());
    for (size_t s = 0; s < running.size(); ++s) {
        const qb::MultiOutputResult &res = result.outputs[s];
        const PlannedOutput &o = running[s];
        if (res.state == qb::OutputState::Written) {
            ++written;
            std::printf("%-10s %-9s %12.2f %8.2f  %s\n", o.name.c_str(), "written", mib(res.fileBytes),
                        o.parameters ? 8.0 * double(res.tensorBytes) / double(o.parameters) : 0.0,
                        o.path.string().c_str());
        } else {
            if (res.state == qb::OutputState::Failed) ++failed;
            if (res.state == qb::OutputState::Refused) ++refused;
            std::printf("%-10s %-9s %12s %8s  %s%s%s\n", o.name.c_str(), qb::outputStateName(res.state), "-", "-",
                        o.path.string().c_str(), res.error.empty() ? "" : ": ", res.error.c_str());
        }
    }
    if (result.singleRunQuantizations > 0)
        std::printf("work: %zu distinct quantizations instead of %zu in single runs (%.0f%% saved); %zu tensors "
                    "decoded once instead of %zu times; %.1f MB of input read once in %.2f s\n",
                    result.quantizations, result.singleRunQuantizations,
                    100.0 * (1.0 - double(result.quantizations) / double(result.singleRunQuantizations)),
                    result.decodes, result.singleRunDecodes, double(result.inputBytes) / 1e6, result.seconds);
    std::printf("%zu of %zu outputs written\n", written, outs.size());
}

qb::MultiQuantizeResult runPlanned(const qb::GgufModel &model, const std::vector<qb::MultiOutputSpec> &specs,
                                   const std::vector<PlannedOutput> &running, const ManyQuantizeRequest &r,
                                   const InterruptGuard &interrupt) {
    qb::MultiQuantizeOptions options;
    options.threads = r.threads;
    options.cancel = interrupt.flag();
    options.failFast = r.failFast;
    options.tensorDone = [&](const qb::MultiTensorProgress &p) {
        size_t live = 0;
        for (const auto &f : p.feeds) live += f.outputs.size();
        std::printf("[%4zu/%4zu] %s \u2192 %s\n", p.tensorIndex + 1, p.tensorCount, p.name.c_str(),
                    feedLine(p, running, live).c_str());
        std::fflush(stdout);
    };
    if (specs.empty()) return {};
    return qb::runMultiQuantization(model, specs, options);
}

} // namespace

int runQuantizeMany(const ManyQuantizeRequest &r) {
    std::vector<PlannedOutput> outs = requestedOutputs(r);
    const std::string pattern = outputPattern(r, outs.size());
    std::vector<qb::GgufKeyValue> kvOverrides;
    for (const auto &o : r.overrideKv) kvOverrides.push_back(qb::parseKvOverride(o));
    const auto model = qb::GgufModel::open(r.input);

    size_t refused = planAll(outs, r, *model, pattern, kvOverrides);
    if (refused > 0 && r.failFast) {
        std::fprintf(stderr, "--fail-fast: %zu of %zu outputs refused; nothing was written\n", refused, outs.size());
        return 2;
    }
    std::vector<qb::MultiOutputSpec> specs;
    std::vector<PlannedOutput> running;
    for (const PlannedOutput &o : outs)
        if (o.refusal.empty()) {
            specs.push_back({o.path, o.plan});
            running.push_back(o);
        }
    std::printf("quantize: %s -> %zu outputs in one pass (%zu refused)\n", r.input.c_str(), specs.size(), refused);
    for (const PlannedOutput &o : running) std::printf("  %-10s %s\n", o.name.c_str(), o.path.string().c_str());

    InterruptGuard interrupt;
    const qb::MultiQuantizeResult result = runPlanned(*model, specs, running, r, interrupt);
    size_t failed = 0, written = 0;
    printOutcomes(outs, running, result, written, failed, refused);
    if (interrupt.signal() != 0) {
        std::fprintf(stderr, "interrupted (signal %d): only the outputs listed as written exist\n", interrupt.signal());
        return exitCodeForSignal(interrupt.signal());
    }
    if (failed > 0) {
        std::fprintf(stderr, "%zu output(s) failed; their temporary files were removed\n", failed);
        return 1;
    }
    return refused > 0 ? 2 : 0;
}

} // namespace qbcli
