// quantbench-cli evaluate BASE [CANDIDATE.gguf…] [--labels L1,L2,…] [--preset P…] --text FILE
//                         [--ctx N] [--chunks N] [--threads N] [-b N] [-ngl N] [--rpc SERVERS]
//                         [--imatrix F] [--rules 2026-09|b4748] [--temp-dir DIR] [--json | --csv]
// Model-level quality through llama.cpp's inference: perplexity of each candidate and its KL
// divergence from the base, as llama-perplexity --kl-divergence computes them. Labels and presets
// are quantized into a temporary file each, removed after its evaluation. A progress line per
// chunk goes to stderr; the table (or JSON/CSV) to stdout. Ctrl-C stops cleanly (exit 130).
#include "commands.h"
#include "error.h"
#include "eval/evaluation_runner.h"
#include "eval/temporary_candidate.h"
#include "gguf/gguf_model.h"
#include "interrupt.h"
#include "mix/preset.h"
#include "mix/quant_label.h"
#include "rule_set.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace qbcli {
namespace {

struct EvaluateArgs {
    std::string base;
    std::vector<std::string> candidates;
    std::string labels;
    std::vector<std::string> presets;
    std::string text, imatrix, tempDir, rpc;
    std::string rules = qb::ruleSetName(qb::kDefaultRuleSet);  // the llama.cpp whose mixes --labels makes
    int ctx = 0, chunks = -1, threads = 0, batch = 2048, gpuLayers = -1;
    bool json = false, csv = false;
};

// A candidate to run: a file, or a preset quantized on the fly.
struct CandidateSpec {
    std::string name;
    std::string file;               // empty: quantize `preset`
    std::optional<qb::MixPreset> preset;
};

std::vector<std::string> splitList(const std::string &text) {
    std::vector<std::string> out;
    std::stringstream s(text);
    std::string item;
    while (std::getline(s, item, ','))
        if (!item.empty()) out.push_back(item);
    return out;
}

nlohmann::json estimate(const qb::eval::Estimate &e) { return {{"value", e.value}, {"uncertainty", e.uncertainty}}; }

nlohmann::json toJson(const qb::eval::CandidateResult &r, const qb::eval::BaseResult &base) {
    const auto &s = r.stats;
    return {{"name", r.name},
            {"bytes", r.bytes},
            {"bits_per_weight", r.bitsPerWeight},
            {"tokens", s.tokens},
            {"ppl", estimate(s.ppl)},
            {"ppl_base", estimate(s.pplBase)},
            {"ppl_base_full", estimate(base.ppl)},
            {"ln_ppl_ratio", estimate(s.logPplRatio)},
            {"ppl_ratio", estimate(s.pplRatio)},
            {"ppl_difference", estimate(s.pplDifference)},
            {"ln_ppl_correlation", s.logPplCorrelation},
            {"kld", {{"mean", estimate(s.kld)}, {"maximum", s.kldMaximum}, {"p99_9", s.kld999}, {"p99", s.kld99},
                     {"p95", s.kld95}, {"p90", s.kld90}, {"median", s.kldMedian}, {"p10", s.kld10},
                     {"p5", s.kld05}, {"p1", s.kld01}, {"p0_1", s.kld001}, {"minimum", s.kldMinimum}}},
            {"delta_p", {{"mean", estimate(s.meanDeltaP)}, {"rms", estimate(s.rmsDeltaP)}, {"maximum", s.deltaPMaximum},
                         {"p99", s.deltaP99}, {"median", s.deltaPMedian}, {"p1", s.deltaP01}, {"minimum", s.deltaPMinimum}}},
            {"same_top", estimate(s.sameTop)},
            {"seconds", r.seconds}};
}

void printRow(const qb::eval::CandidateResult &r) {
    const auto &s = r.stats;
    std::printf("%-24s %12llu %6.3f %8.4f ± %-7.4f %+9.4f %10.6f ± %-9.6f %10.6f %7.3f ± %.3f\n", r.name.c_str(),
                (unsigned long long)r.bytes, r.bitsPerWeight, s.ppl.value, s.ppl.uncertainty, s.pplDifference.value,
                s.kld.value, s.kld.uncertainty, s.kld99, 100 * s.sameTop.value, 100 * s.sameTop.uncertainty);
    std::fflush(stdout);
}

qb::RuleSet labelRules(const EvaluateArgs &a) {
    const auto rules = qb::ruleSetFromName(a.rules);
    if (!rules) throw qb::Error("--rules: unknown rule set '" + a.rules + "' (2026-09 or b4748)");
    return *rules;
}

// The candidates in command-line order: files, then labels, then presets (--imatrix for those without one).
// Labels follow --rules; a preset keeps the rule set it records.
std::vector<CandidateSpec> candidateSpecs(const EvaluateArgs &a) {
    const qb::RuleSet rules = labelRules(a);
    std::vector<CandidateSpec> specs;
    for (const auto &f : a.candidates) specs.push_back({std::filesystem::path(f).filename().string(), f, std::nullopt});
    for (const auto &l : splitList(a.labels)) {
        if (!qb::findQuantLabel(l, rules))
            throw qb::Error("--labels: unknown label '" + l + "' in rule set " + a.rules + " (see `quantbench-cli labels --rules " +
                            a.rules + "`)");
        qb::MixPreset p;
        p.ruleSet = rules;
        p.baseLabel = l;
        if (!a.imatrix.empty()) p.imatrixFile = a.imatrix;
        specs.push_back({l, "", p});
    }
    for (const auto &f : a.presets) {
        qb::MixPreset p = qb::MixPreset::load(f);
        if (!a.imatrix.empty() && p.imatrixFile.empty()) p.imatrixFile = a.imatrix;
        specs.push_back({std::filesystem::path(f).filename().string(), "", p});
    }
    return specs;
}

qb::eval::EvalSettings settingsFor(const EvaluateArgs &a, const std::atomic<bool> *cancel) {
    qb::eval::EvalSettings settings;
    settings.text = a.text;
    settings.ctx = a.ctx;
    settings.chunks = a.chunks;
    settings.scorer.threads = a.threads;
    settings.scorer.batch = a.batch;
    settings.scorer.gpuLayers = a.gpuLayers;
    settings.scorer.rpc = a.rpc;
    settings.scorer.cancel = cancel;
    settings.tempDir = a.tempDir;
    return settings;
}

void printBaseAndHead(const EvaluateArgs &a, const qb::eval::BaseResult &base) {
    std::fprintf(stderr, "base %s: %zu tokens, %d chunks of %d, PPL %.4f ± %.5f, %.1f s; base log-probabilities %llu bytes\n",
                 a.base.c_str(), base.textTokens, base.chunks, base.ctx, base.ppl.value, base.ppl.uncertainty,
                 base.seconds, (unsigned long long)base.storeBytes);
    if (!a.json && !a.csv)
        std::printf("%-24s %12s %6s %18s %9s %23s %10s %15s\n", "candidate", "bytes", "bpw", "PPL", "ΔPPL",
                    "mean KLD", "p99 KLD", "same top %");
    if (a.csv) std::printf("candidate,bytes,bits_per_weight,ppl,ppl_uncertainty,delta_ppl,mean_kld,kld_uncertainty,p99_kld,same_top_percent\n");
}

// One candidate's result in the chosen format; JSON rows are collected for the document at the end.
void reportCandidate(const EvaluateArgs &a, const qb::eval::CandidateResult &r, const qb::eval::BaseResult &base,
                     nlohmann::json &rows) {
    if (a.json) {
        rows.push_back(toJson(r, base));
    } else if (a.csv) {
        const auto &s = r.stats;
        std::printf("%s,%llu,%.4f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.4f\n", r.name.c_str(), (unsigned long long)r.bytes,
                    r.bitsPerWeight, s.ppl.value, s.ppl.uncertainty, s.pplDifference.value, s.kld.value,
                    s.kld.uncertainty, s.kld99, 100 * s.sameTop.value);
    } else {
        printRow(r);
    }
}

// A file as given, or a preset quantized into a temporary file removed after its evaluation.
qb::eval::CandidateResult evaluateCandidate(qb::eval::EvaluationRunner &runner, const CandidateSpec &spec,
                                            const EvaluateArgs &a, std::unique_ptr<qb::GgufModel> &baseModel,
                                            const std::atomic<bool> *cancel) {
    std::unique_ptr<qb::eval::TemporaryCandidate> temp;
    std::filesystem::path file = spec.file;
    if (spec.preset) {
        if (!baseModel) baseModel = qb::GgufModel::open(a.base);
        std::fprintf(stderr, "%s: quantizing into a temporary file\n", spec.name.c_str());
        temp = std::make_unique<qb::eval::TemporaryCandidate>(
            *baseModel, *spec.preset,
            a.tempDir.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(a.tempDir), a.threads,
            cancel);
        file = temp->path();
    }
    return runner.evaluate(file, spec.name);
}

int runEvaluate(const EvaluateArgs &a) {
    // Candidate files of another model (tensors, vocabulary) are refused before the base model runs
    // over the whole text, and in every build, with or without llama.cpp.
    std::unique_ptr<qb::GgufModel> baseModel;
    try {
        baseModel = qb::GgufModel::open(a.base);
    } catch (const qb::Error &e) {
        throw qb::Error("base model " + a.base + ": " + e.what());
    }
    for (const auto &f : a.candidates)
        qb::eval::checkCandidateFile(*baseModel, f, std::filesystem::path(f).filename().string());
    const qb::RuleSet rules = labelRules(a);
    if (!qb::eval::scorerAvailable()) {
        std::fprintf(stderr, "error: %s\n", qb::eval::scorerMissingMessage().c_str());
        return 2;
    }
    if (a.json && a.csv) throw qb::Error("give --json or --csv, not both");
    const std::vector<CandidateSpec> specs = candidateSpecs(a);
    if (a.ctx != 0 && (a.ctx < 4 || a.ctx % 2)) throw qb::Error("--ctx " + std::to_string(a.ctx) + ": give an even number of 4 or more");

    InterruptGuard interrupt;
    const auto progress = [](const qb::eval::EvalProgress &p) {
        std::fprintf(stderr, "%s: chunk %d/%d, %.0f tokens/s, ETA %.1f s\n", p.model.c_str(), p.chunk, p.chunks,
                     p.tokensPerSecond, p.etaSeconds);
    };
    try {
        qb::eval::EvaluationRunner runner(a.base, settingsFor(a, interrupt.flag()), progress);
        const auto &base = runner.prepareBase();
        printBaseAndHead(a, base);
        nlohmann::json rows = nlohmann::json::array();
        for (const auto &spec : specs) {
            reportCandidate(a, evaluateCandidate(runner, spec, a, baseModel, interrupt.flag()), base, rows);
            // Which llama.cpp's mix a candidate quantized here follows; a file given as is: null.
            if (a.json)
                rows.back()["rule_set"] = spec.preset ? nlohmann::json(qb::ruleSetName(spec.preset->ruleSet)) : nullptr;
        }
        if (a.json) {
            nlohmann::json out = {{"base", a.base}, {"text", a.text}, {"rule_set", qb::ruleSetName(rules)},
                                  {"ctx", base.ctx}, {"chunks", base.chunks},
                                  {"text_tokens", base.textTokens}, {"ppl_base", estimate(base.ppl)},
                                  {"base_log_prob_bytes", base.storeBytes}, {"candidates", rows}};
            std::printf("%s\n", out.dump(2).c_str());
        }
    } catch (const qb::Error &e) {
        if (e.kind() == qb::ErrorKind::Cancelled && interrupt.signal()) {
            std::fprintf(stderr, "evaluate: interrupted, temporary files removed\n");
            return exitCodeForSignal(interrupt.signal());
        }
        throw;
    }
    return 0;
}

} // namespace

void addEvaluateCommand(CLI::App &app, CommandAction &action) {
    auto args = std::make_shared<EvaluateArgs>();
    auto *cmd = app.add_subcommand("evaluate", "Perplexity and KL divergence of quantized candidates against the base "
                                               "model, through llama.cpp (as llama-perplexity --kl-divergence)");
    cmd->add_option("base", args->base, "The original model (F32/F16/BF16 GGUF)")->required()->check(CLI::ExistingFile);
    cmd->add_option("candidates", args->candidates, "Quantized GGUF files of the same model");
    cmd->add_option("--labels", args->labels, "Labels quantized on the fly, comma-separated (e.g. Q4_K_M,Q6_K)");
    cmd->add_option("--preset", args->presets, "Mix presets (JSON) quantized on the fly; may be repeated");
    cmd->add_option("--text,-f", args->text, "The text to score (llama-perplexity's -f)")->required();
    cmd->add_option("--ctx,-c", args->ctx, "Context size (default 512, or the model's trained context if smaller)");
    cmd->add_option("--chunks", args->chunks, "Chunks to score (default: all the text holds)");
    cmd->add_option("--threads,-t", args->threads, "Threads (default: all cores)");
    cmd->add_option("--batch-size,-b", args->batch, "Logical batch size (llama.cpp's -b, default 2048)");
    cmd->add_option("--n-gpu-layers,--gpu-layers", args->gpuLayers, "Layers offloaded to a GPU backend (-ngl)");
    cmd->add_option("--rpc", args->rpc, "llama.cpp RPC servers host:port,… (if the linked llama.cpp has RPC)");
    cmd->add_option("--imatrix", args->imatrix, "Importance matrix for the labels quantized on the fly");
    cmd->add_option("--rules", args->rules,
                    "Which llama.cpp's mixes --labels makes: 2026-09 (0ad4a86, default) or b4748 (presets keep theirs)");
    cmd->add_option("--temp-dir", args->tempDir, "Folder for temporary candidates and base log-probabilities");
    cmd->add_flag("--json", args->json, "Full statistics as JSON");
    cmd->add_flag("--csv", args->csv, "The table as CSV");
    cmd->callback([args, &action] {
        action = [args] {
            if (args->candidates.empty() && args->labels.empty() && args->presets.empty())
                throw qb::Error("evaluate: give candidate files, --labels or --preset");
            return runEvaluate(*args);
        };
    });
}

} // namespace qbcli
