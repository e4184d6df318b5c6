// A deterministic llama-style F16 model of any size, for benchmarks, demos and tests: real GGUF
// layout and metadata (llama.* keys, norms F32, weights F16), heavy-tailed pseudo-random weights.
//
// Contract: the same spec always gives the same bytes. Written through GgufWriter one tensor at
// a time, so memory stays at one tensor whatever the size; no partial file on failure.
#pragma once

#include <cstdint>
#include <filesystem>

namespace qb {

struct DemoModelSpec {
    int64_t embedding = 1024;   // n_embd (multiple of 256 keeps every K-quant without fallbacks)
    int64_t feedForward = 2816; // n_ff
    int64_t layers = 8;
    int64_t heads = 16;
    int64_t kvHeads = 4;
    int64_t vocab = 32000;
    uint64_t seed = 1;

    uint64_t parameterCount() const;
    uint64_t approximateFileBytes() const; // F16 weights + F32 norms
};

// The default widths with as many layers as fit in about targetBytes (at least one).
DemoModelSpec demoSpecForSize(uint64_t targetBytes);

// Writes the model; returns the file size. Throws qb::Error on a bad spec or I/O failure.
uint64_t writeDemoModel(const std::filesystem::path &path, const DemoModelSpec &spec);

} // namespace qb
