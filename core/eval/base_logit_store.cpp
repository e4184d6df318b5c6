#include "eval/base_logit_store.h"

#include "error.h"
#include "eval/log_prob_packing.h"

#include <atomic>
#include <cstring>
#include <string>
#include <unistd.h>

namespace qb::eval {
namespace {

std::filesystem::path uniqueName(const std::filesystem::path &directory) {
    static std::atomic<unsigned> serial{0};
    return directory / (".quantbench-base-logits-" + std::to_string(::getpid()) + "-" + std::to_string(serial++) + ".tmp");
}

} // namespace

BaseLogitStore::BaseLogitStore(const std::filesystem::path &directory, int nCtx, int nVocab, int nChunks,
                               std::span<const int32_t> tokens)
    : m_path(uniqueName(directory)), m_nCtx(nCtx), m_nVocab(nVocab), m_nChunks(nChunks) {
    m_file = std::fopen(m_path.c_str(), "w+b");
    if (!m_file)
        throw Error("cannot create the base-logit file " + m_path.string() + ": " + std::strerror(errno),
                    ErrorKind::Runtime);
    const int32_t header[3] = {nCtx, nVocab, nChunks};
    const size_t nTokens = size_t(nCtx) * size_t(nChunks);
    if (std::fwrite("_logits_", 1, 8, m_file) != 8 || std::fwrite(header, sizeof header, 1, m_file) != 1 ||
        tokens.size() < nTokens || std::fwrite(tokens.data(), sizeof(int32_t), nTokens, m_file) != nTokens) {
        std::fclose(m_file);
        std::filesystem::remove(m_path);
        throw Error("cannot write the base-logit file " + m_path.string(), ErrorKind::Runtime);
    }
    m_dataOffset = 8 + sizeof header + nTokens * sizeof(int32_t);
}

BaseLogitStore::~BaseLogitStore() {
    std::fclose(m_file);
    std::error_code ec;
    std::filesystem::remove(m_path, ec);
}

size_t BaseLogitStore::chunkValues() const { return size_t(scoredPerChunk()) * packedLogProbWidth(m_nVocab); }

uint64_t BaseLogitStore::fileBytes() const {
    return m_dataOffset + uint64_t(m_nChunks) * chunkValues() * sizeof(uint16_t);
}

void BaseLogitStore::appendChunk(std::span<const uint16_t> records) {
    if (records.size() != chunkValues() || m_written >= m_nChunks)
        throw std::logic_error("BaseLogitStore::appendChunk: wrong record count or too many chunks");
    if (std::fseek(m_file, long(m_dataOffset + uint64_t(m_written) * chunkValues() * 2), SEEK_SET) != 0 ||
        std::fwrite(records.data(), sizeof(uint16_t), records.size(), m_file) != records.size() ||
        std::fflush(m_file) != 0)
        throw Error("cannot write the base-logit file " + m_path.string() + " (disk full?)", ErrorKind::Runtime);
    ++m_written;
}

void BaseLogitStore::readChunk(int chunk, std::vector<uint16_t> &out) {
    if (chunk < 0 || chunk >= m_written) throw std::logic_error("BaseLogitStore::readChunk: chunk not written");
    out.resize(chunkValues());
    if (std::fseek(m_file, long(m_dataOffset + uint64_t(chunk) * chunkValues() * 2), SEEK_SET) != 0 ||
        std::fread(out.data(), sizeof(uint16_t), out.size(), m_file) != out.size())
        throw Error("cannot read back the base-logit file " + m_path.string(), ErrorKind::Runtime);
}

} // namespace qb::eval
