// The base model's packed log-probabilities for every scored token of a text, computed once and
// read back chunk by chunk for each candidate.
//
// Kept on disk, not in memory: (n_ctx/2 - 1) * (n_vocab + 4) * 2 bytes per chunk (stories-d256,
// 512 vocabulary, ctx 256: 131 kB a chunk; a 150 k vocabulary at ctx 512: 77 MB a chunk), so
// memory holds one chunk whatever the text's length. The file has llama-perplexity's
// --kl-divergence-base layout ("_logits_", n_ctx, n_vocab, n_chunk, the tokens, then the records),
// so llama-perplexity --kl-divergence can read ours. It is a temporary file, removed by the
// destructor (also on cancellation and failure).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <vector>

namespace qb::eval {

class BaseLogitStore {
public:
    // Creates the file in `directory` for nChunks chunks of nCtx tokens (tokens holds them all).
    BaseLogitStore(const std::filesystem::path &directory, int nCtx, int nVocab, int nChunks,
                   std::span<const int32_t> tokens);
    ~BaseLogitStore();
    BaseLogitStore(const BaseLogitStore &) = delete;
    BaseLogitStore &operator=(const BaseLogitStore &) = delete;

    int scoredPerChunk() const { return m_nCtx - 1 - m_nCtx / 2; }
    size_t chunkValues() const;  // uint16 values of one chunk's records
    uint64_t fileBytes() const;  // the size once every chunk is written

    // Chunks are written in order, each chunkValues() long.
    void appendChunk(std::span<const uint16_t> records);
    int chunksWritten() const { return m_written; }
    // Reads chunk i (0-based, written already) into out (resized to chunkValues()).
    void readChunk(int chunk, std::vector<uint16_t> &out);
    const std::filesystem::path &path() const { return m_path; }

private:
    std::filesystem::path m_path;
    std::FILE *m_file = nullptr;
    int m_nCtx, m_nVocab, m_nChunks, m_written = 0;
    uint64_t m_dataOffset = 0;
};

} // namespace qb::eval
