// The inference engine behind `evaluate`, reduced to what perplexity and KL divergence need:
// tokenize a text as llama-perplexity does, and decode chunks of tokens returning the logits of
// the second half of each. One implementation, llama_scorer.cpp, runs llama.cpp (the only file
// that includes llama.h); without llama.cpp at build time llama_missing.cpp says how to get it.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace qb::eval {

// llama.cpp's options a user of llama-perplexity expects, with its defaults.
struct ScorerOptions {
    int threads = 0;        // 0: the machine's cores, as llama.cpp's default
    int batch = 2048;       // llama-perplexity's -b: also how many chunks run side by side (batch / ctx)
    int gpuLayers = -1;     // -ngl; -1 llama.cpp's default (all that fit on a GPU backend)
    std::string rpc;        // --rpc host:port,… (needs a llama.cpp with its RPC backend)
    const std::atomic<bool> *cancel = nullptr;  // also aborts a decode in progress
};

class TokenScorer {
public:
    virtual ~TokenScorer() = default;
    virtual int vocabularySize() const = 0;
    virtual int trainedContext() const = 0;
    // Tokens of text with the model's BOS handling (llama-perplexity: add_special, no parse_special).
    virtual std::vector<int32_t> tokenize(const std::string &text) const = 0;
    // Chunks decoded side by side: max(1, batch / nCtx), as llama-perplexity.
    virtual int parallelChunks() const = 0;
    // Decodes `chunks` (1..parallelChunks()) consecutive chunks of nCtx tokens (BOS put in first
    // place where the model adds one), and calls use(i, logits) for chunk i with the logits of
    // positions nCtx/2 … nCtx-1 (row after row, vocabularySize() floats each).
    // Throws qb::Error (Cancelled when the cancel flag stopped it).
    virtual void scoreChunks(std::span<const int32_t> tokens, int chunks,
                             const std::function<void(int, const float *)> &use) = 0;
};

// True when this build links llama.cpp.
bool scorerAvailable();
// One line: what `evaluate` needs and how to get it (for builds without llama.cpp).
std::string scorerMissingMessage();
// Loads a model for chunks of nCtx tokens. Throws qb::Error naming the file on failure.
std::unique_ptr<TokenScorer> openScorer(const std::filesystem::path &model, int nCtx, const ScorerOptions &options);

} // namespace qb::eval
