// Model-level quality of candidates against a base model on one text, the measurement of
// llama-perplexity --kl-divergence-base followed by --kl-divergence for each candidate:
// chunks of ctx tokens (BOS first), the second half of each scored, base log-probabilities
// computed once (BaseLogitStore, on disk) and reused for every candidate.
#pragma once

#include "eval/kld_statistics.h"
#include "eval/same_model_check.h"
#include "eval/token_scorer.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace qb { class GgufModel; }

namespace qb::eval {

class BaseLogitStore;

struct EvalSettings {
    std::filesystem::path text;
    int ctx = 0;                   // 0: llama-perplexity's 512, or the model's trained context if smaller
    int chunks = -1;               // -1: all chunks the text holds (tokens / ctx)
    ScorerOptions scorer;          // scorer.cancel also stops between chunks
    std::filesystem::path tempDir; // where the base-logit file goes (default: the system's)
};

struct EvalProgress {
    std::string model;             // file name being run
    int chunk = 0, chunks = 0;     // chunks done, of
    double tokensPerSecond = 0;
    double etaSeconds = 0;         // for this model
};
using EvalProgressFn = std::function<void(const EvalProgress &)>;

struct BaseResult {
    size_t textTokens = 0;
    int ctx = 0, chunks = 0, vocabulary = 0;
    Estimate ppl;                  // llama-perplexity's "Final estimate"
    uint64_t storeBytes = 0;       // base-logit file size
    double seconds = 0;
};

struct CandidateResult {
    std::string name;              // label or file name
    std::filesystem::path file;
    uint64_t bytes = 0;            // file size
    double bitsPerWeight = 0;      // tensor data bits / parameters
    KldSummary stats;
    double seconds = 0;
};

class EvaluationRunner {
public:
    EvaluationRunner(std::filesystem::path base, EvalSettings settings, EvalProgressFn progress = {});
    ~EvaluationRunner();

    // Reads and tokenizes the text, checks it holds two contexts, runs the base model and stores
    // its log-probabilities. Throws qb::Error (BadInput naming the file, Runtime, Cancelled).
    const BaseResult &prepareBase();
    // Runs one candidate (prepareBase() first). Refuses (BadInput) a model whose tensors or
    // vocabulary differ from the base's.
    CandidateResult evaluate(const std::filesystem::path &candidate, const std::string &name);
    const BaseResult &base() const { return m_base; }
    bool prepared() const { return m_prepared; }

    // A runner kept for later candidates (the GUI keeps the base model's run for the session)
    // reports to, and is stopped by, whoever uses it now; null/empty: nobody.
    void setProgress(EvalProgressFn progress) { m_progress = std::move(progress); }
    void setCancelFlag(const std::atomic<bool> *cancel) { m_settings.scorer.cancel = cancel; }

private:
    void checkCancelled() const;
    std::filesystem::path m_basePath;
    EvalSettings m_settings;
    EvalProgressFn m_progress;
    std::unique_ptr<GgufModel> m_baseModel;
    std::vector<int32_t> m_tokens;
    std::unique_ptr<BaseLogitStore> m_store;
    BaseResult m_base;
    bool m_prepared = false;
};

} // namespace qb::eval
