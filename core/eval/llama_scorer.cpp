// TokenScorer over llama.cpp's C API: the only file that includes llama.h.
//
// Mirrors what llama-perplexity sets up (tools/perplexity/perplexity.cpp, common/): a context of
// n_seq * n_ctx tokens with n_seq = max(1, batch / n_ctx) sequences decoded side by side, the
// logical batch min(batch, n_seq * n_ctx), llama.cpp's default micro-batch (512), and the same
// thread count for single and batch decoding; the KV cache is cleared before each group of chunks.
// ggml's CPU backends are separate libraries (one per CPU family); they are loaded from the folder
// libllama was loaded from, so the best one for this CPU is chosen as llama-perplexity chooses it.
#include "eval/token_scorer.h"

#include "error.h"

#include <llama.h>
#include <ggml-backend.h>

#include <algorithm>
#include <dlfcn.h>
#include <mutex>
#include <sstream>
#include <thread>

namespace qb::eval {
namespace {

// llama.cpp's log goes to stderr unless silenced; keep errors only (they explain a failed load).
void quietLog(ggml_log_level level, const char *text, void *) {
    if (level == GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr);
}

std::once_flag g_backendOnce;

void initBackends() {
    std::call_once(g_backendOnce, [] {
        llama_log_set(quietLog, nullptr);
        Dl_info info{};
        if (dladdr(reinterpret_cast<void *>(&llama_decode), &info) && info.dli_fname) {
            const auto dir = std::filesystem::path(info.dli_fname).parent_path();
            ggml_backend_load_all_from_path(dir.c_str());
        } else {
            ggml_backend_load_all();
        }
        llama_backend_init();
    });
}

void addRpcServers(const std::string &servers) {
    ggml_backend_reg_t rpc = ggml_backend_reg_by_name("RPC");
    if (!rpc)
        throw Error("--rpc " + servers + ": the linked llama.cpp has no RPC backend (build llama.cpp with GGML_RPC=ON)");
    using AddServer = ggml_backend_reg_t (*)(const char *);
    auto add = reinterpret_cast<AddServer>(ggml_backend_reg_get_proc_address(rpc, "ggml_backend_rpc_add_server"));
    if (!add) throw Error("--rpc: the linked llama.cpp's RPC backend lacks ggml_backend_rpc_add_server");
    std::stringstream list(servers);
    std::string server;
    while (std::getline(list, server, ','))
        if (!server.empty()) ggml_backend_register(add(server.c_str()));
}

bool abortRequested(void *flag) { return flag && static_cast<const std::atomic<bool> *>(flag)->load(); }

class LlamaScorer final : public TokenScorer {
public:
    LlamaScorer(const std::filesystem::path &path, int nCtx, const ScorerOptions &options)
        : m_nCtx(nCtx), m_cancel(options.cancel) {
        initBackends();
        if (!options.rpc.empty()) addRpcServers(options.rpc);
        llama_model_params mp = llama_model_default_params();
        if (options.gpuLayers >= 0) mp.n_gpu_layers = options.gpuLayers;
        m_model = llama_model_load_from_file(path.c_str(), mp);
        if (!m_model) throw Error(path.string() + ": llama.cpp cannot load this model (see its message above)");
        m_vocab = llama_model_get_vocab(m_model);
        m_nSeq = std::max(1, options.batch / nCtx);
        llama_context_params cp = llama_context_default_params();
        cp.n_ctx = uint32_t(m_nSeq * nCtx);
        cp.n_batch = uint32_t(std::min(options.batch, m_nSeq * nCtx));
        cp.n_seq_max = uint32_t(m_nSeq);
        const int threads = options.threads > 0 ? options.threads : int(std::max(1u, std::thread::hardware_concurrency()));
        cp.n_threads = cp.n_threads_batch = threads;
        cp.abort_callback = abortRequested;
        cp.abort_callback_data = const_cast<std::atomic<bool> *>(m_cancel);
        m_nBatch = int(cp.n_batch);
        m_ctx = llama_init_from_model(m_model, cp);
        if (!m_ctx) {
            llama_model_free(m_model);
            throw Error(path.string() + ": llama.cpp cannot create a context of " + std::to_string(cp.n_ctx) + " tokens",
                        ErrorKind::Runtime);
        }
        m_batch = llama_batch_init(m_nBatch, 0, 1);
    }
    ~LlamaScorer() override {
        llama_batch_free(m_batch);
        llama_free(m_ctx);
        llama_model_free(m_model);
    }

    int vocabularySize() const override { return llama_vocab_n_tokens(m_vocab); }
    int trainedContext() const override { return llama_model_n_ctx_train(m_model); }
    int parallelChunks() const override { return m_nSeq; }

    std::vector<int32_t> tokenize(const std::string &text) const override {
        // llama_tokenize returns minus the needed count when the buffer is short.
        std::vector<llama_token> tokens(text.size() + 2);
        int n = llama_tokenize(m_vocab, text.data(), int32_t(text.size()), tokens.data(), int32_t(tokens.size()), true, false);
        if (n < 0) {
            tokens.resize(size_t(-n));
            n = llama_tokenize(m_vocab, text.data(), int32_t(text.size()), tokens.data(), int32_t(tokens.size()), true, false);
        }
        if (n < 0) throw Error("llama.cpp could not tokenize the text", ErrorKind::Runtime);
        tokens.resize(size_t(n));
        return {tokens.begin(), tokens.end()};
    }

    void scoreChunks(std::span<const int32_t> tokens, int chunks,
                     const std::function<void(int, const float *)> &use) override {
        const int first = m_nCtx / 2;
        const int nVocab = vocabularySize();
        const bool addBos = llama_vocab_get_add_bos(m_vocab);
        const int batches = (m_nCtx + m_nBatch - 1) / m_nBatch;
        // Several batches per chunk (batch < ctx): the outputs of each are copied out, as
        // llama-perplexity does, since the next decode overwrites them.
        std::vector<float> collected;
        llama_memory_clear(llama_get_memory(m_ctx), true);
        for (int j = 0; j < batches; ++j) {
            const int batchStart = j * m_nBatch;
            const int batchSize = std::min(m_nCtx - batchStart, m_nBatch);
            m_batch.n_tokens = 0;
            int outputs = 0;
            for (int seq = 0; seq < chunks; ++seq) {
                for (int k = 0; k < batchSize; ++k) {
                    const int pos = batchStart + k;
                    const int idx = m_batch.n_tokens;
                    m_batch.token[idx] = (addBos && pos == 0) ? llama_vocab_bos(m_vocab) : tokens[size_t(seq) * m_nCtx + pos];
                    m_batch.pos[idx] = pos;
                    m_batch.n_seq_id[idx] = 1;
                    m_batch.seq_id[idx][0] = seq;
                    m_batch.logits[idx] = pos >= first;
                    outputs += pos >= first;
                    ++m_batch.n_tokens;
                }
            }
            const int32_t rc = llama_decode(m_ctx, m_batch);
            if (rc == 2 || (m_cancel && m_cancel->load())) throw Error("cancelled", ErrorKind::Cancelled);
            if (rc != 0) throw Error("llama_decode failed (" + std::to_string(rc) + ")", ErrorKind::Runtime);
            if (batches > 1 && outputs > 0) {
                const float *l = llama_get_logits(m_ctx);
                collected.insert(collected.end(), l, l + size_t(outputs) * nVocab);
            }
        }
        for (int seq = 0; seq < chunks; ++seq)
            use(seq, batches > 1 ? collected.data() + size_t(seq) * (m_nCtx - first) * nVocab
                                 : llama_get_logits_ith(m_ctx, seq * m_nCtx + first));
    }

private:
    int m_nCtx, m_nSeq = 1, m_nBatch = 0;
    const std::atomic<bool> *m_cancel;
    llama_model *m_model = nullptr;
    const llama_vocab *m_vocab = nullptr;
    llama_context *m_ctx = nullptr;
    llama_batch m_batch{};
};

} // namespace

bool scorerAvailable() { return true; }
std::string scorerMissingMessage() { return {}; }

std::unique_ptr<TokenScorer> openScorer(const std::filesystem::path &model, int nCtx, const ScorerOptions &options) {
    return std::make_unique<LlamaScorer>(model, nCtx, options);
}

} // namespace qb::eval
