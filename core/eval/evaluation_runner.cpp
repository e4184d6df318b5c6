#include "eval/evaluation_runner.h"

#include "error.h"
#include "eval/base_logit_store.h"
#include "eval/log_prob_packing.h"
#include "eval/same_model_check.h"
#include "gguf/gguf_model.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

namespace qb::eval {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string readText(const std::filesystem::path &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("text " + path.string() + ": cannot be read (missing or not readable)");
    std::ostringstream s;
    s << in.rdbuf();
    if (in.bad()) throw Error("text " + path.string() + ": read error");
    return s.str();
}

std::unique_ptr<GgufModel> openModel(const std::filesystem::path &path, const char *role) {
    try {
        return GgufModel::open(path);
    } catch (const Error &e) {
        throw Error(std::string(role) + " " + path.string() + ": " + e.what(), ErrorKind::BadInput);
    }
}

} // namespace

EvaluationRunner::EvaluationRunner(std::filesystem::path base, EvalSettings settings, EvalProgressFn progress)
    : m_basePath(std::move(base)), m_settings(std::move(settings)), m_progress(std::move(progress)) {}

EvaluationRunner::~EvaluationRunner() = default;

void EvaluationRunner::checkCancelled() const {
    if (m_settings.scorer.cancel && m_settings.scorer.cancel->load()) throw Error("cancelled", ErrorKind::Cancelled);
}

const BaseResult &EvaluationRunner::prepareBase() {
    const std::string text = readText(m_settings.text);
    m_baseModel = openModel(m_basePath, "base model");
    const auto start = Clock::now();
    int ctx = m_settings.ctx;
    if (ctx <= 0) {
        // llama-perplexity's default 512, or the trained context if smaller (<arch>.context_length).
        ctx = 512;
        if (const auto arch = m_baseModel->primary().findString("general.architecture"))
            if (const auto trained = m_baseModel->primary().findInt(*arch + ".context_length"); trained && *trained > 0)
                ctx = int(std::min<int64_t>(512, *trained));
    }
    if (ctx < 4 || ctx % 2) throw Error("--ctx " + std::to_string(ctx) + ": the context must be an even number of 4 tokens or more");
    auto scorer = openScorer(m_basePath, ctx, m_settings.scorer);
    m_tokens = scorer->tokenize(text);
    if (m_tokens.size() < size_t(2) * size_t(ctx))
        throw Error("text " + m_settings.text.string() + " tokenizes to only " + std::to_string(m_tokens.size()) +
                    " tokens; a context of " + std::to_string(ctx) + " needs at least " + std::to_string(2 * ctx));
    const int maxChunks = int(m_tokens.size() / size_t(ctx));
    const int chunks = m_settings.chunks < 0 ? maxChunks : std::min(m_settings.chunks, maxChunks);
    if (chunks < 1) throw Error("--chunks " + std::to_string(m_settings.chunks) + ": at least one chunk is needed");
    m_settings.ctx = ctx;
    const int nVocab = scorer->vocabularySize();
    m_base = BaseResult{};
    m_base.textTokens = m_tokens.size();
    m_base.ctx = ctx;
    m_base.chunks = chunks;
    m_base.vocabulary = nVocab;
    const auto dir = m_settings.tempDir.empty() ? std::filesystem::temp_directory_path() : m_settings.tempDir;
    m_store = std::make_unique<BaseLogitStore>(dir, ctx, nVocab, chunks, m_tokens);
    const int first = ctx / 2;
    const int scored = m_store->scoredPerChunk();
    const size_t width = packedLogProbWidth(nVocab);
    std::vector<uint16_t> records(m_store->chunkValues());
    PerplexityAccumulator ppl;
    const auto name = m_basePath.filename().string();
    const auto loopStart = Clock::now();
    for (int i = 0; i < chunks; i += scorer->parallelChunks()) {
        checkCancelled();
        const int n = std::min(scorer->parallelChunks(), chunks - i);
        scorer->scoreChunks(std::span(m_tokens).subspan(size_t(i) * ctx, size_t(n) * ctx), n, [&](int seq, const float *logits) {
            const int32_t *next = m_tokens.data() + size_t(i + seq) * ctx + first + 1;
            for (int t = 0; t < scored; ++t)
                ppl.add(packLogProbs(logits + size_t(t) * nVocab, nVocab, next[t], records.data() + size_t(t) * width));
            m_store->appendChunk(records);
        });
        if (m_progress) {
            const double s = secondsSince(loopStart);
            const int done = i + n;
            m_progress({name, done, chunks, s > 0 ? double(done) * ctx / s : 0, s / done * (chunks - done)});
        }
    }
    m_base.ppl = ppl.perplexity();
    m_base.storeBytes = m_store->fileBytes();
    m_base.seconds = secondsSince(start);
    m_prepared = true;
    return m_base;
}

CandidateResult EvaluationRunner::evaluate(const std::filesystem::path &candidate, const std::string &name) {
    if (!m_prepared) throw std::logic_error("EvaluationRunner::evaluate before prepareBase");
    const auto model = openModel(candidate, "candidate");
    checkSameModel(*m_baseModel, *model, name);
    const auto start = Clock::now();
    const int ctx = m_base.ctx, first = ctx / 2, nVocab = m_base.vocabulary;
    auto scorer = openScorer(candidate, ctx, m_settings.scorer);
    if (scorer->vocabularySize() != nVocab)
        throw Error(name + " has another vocabulary size (" + std::to_string(scorer->vocabularySize()) + ") than the base model (" +
                    std::to_string(nVocab) + ")");
    const int scored = m_store->scoredPerChunk();
    const size_t width = packedLogProbWidth(nVocab);
    std::vector<uint16_t> records;
    KldAccumulator kld;
    const auto loopStart = Clock::now();
    for (int i = 0; i < m_base.chunks; i += scorer->parallelChunks()) {
        checkCancelled();
        const int n = std::min(scorer->parallelChunks(), m_base.chunks - i);
        scorer->scoreChunks(std::span(m_tokens).subspan(size_t(i) * ctx, size_t(n) * ctx), n, [&](int seq, const float *logits) {
            m_store->readChunk(i + seq, records);
            const int32_t *next = m_tokens.data() + size_t(i + seq) * ctx + first + 1;
            for (int t = 0; t < scored; ++t)
                kld.add(logits + size_t(t) * nVocab, nVocab, records.data() + size_t(t) * width, next[t]);
        });
        if (m_progress) {
            const double s = secondsSince(loopStart);
            const int done = i + n;
            m_progress({name, done, m_base.chunks, s > 0 ? double(done) * ctx / s : 0, s / done * (m_base.chunks - done)});
        }
    }
    CandidateResult r;
    r.name = name;
    r.file = candidate;
    std::error_code ec;
    r.bytes = std::filesystem::file_size(candidate, ec);
    r.bitsPerWeight = model->parameterCount() ? 8.0 * double(model->tensorBytes()) / double(model->parameterCount()) : 0;
    r.stats = kld.summary();
    r.seconds = secondsSince(start);
    return r;
}

} // namespace qb::eval
