// Executes a resolved quantization plan over a whole model, streaming tensor by tensor.
//
// Contract: the plan says, for every output tensor in output order, which input tensor it comes
// from, its target type and the importance vector to use; the mix rules decide all that. Three
// stages overlap: a reader brings the next tensor's pages into memory, the kernels decode and
// quantize the current one chunk by chunk with all threads (no F32 copy of a tensor is made), a
// writer appends the previous one to the output. Queues between stages hold at most two tensors
// each and output buffers are recycled, so memory is bounded by a few quantized tensors, never by
// the model. Output goes
// through GgufWriter: on error or cancellation no file is left and the input is never touched.
// Tensors whose target type equals their stored type are copied byte for byte.
#pragma once

#include "ggml_types.h"
#include "rule_set.h"
#include "gguf/gguf_model.h"
#include "gguf/gguf_value.h"
#include "gguf/gguf_writer.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace qb {

struct PlannedTensor {
    size_t source = 0;                 // index into GgufModel::tensors()
    GgmlType target = GgmlType::F32;
    std::span<const float> importance; // empty, ne[0], or ne[0] x ne[2] values (per expert)
    std::string outputName;            // the name written (--prune-layers renumbers); empty: the input's
};

struct ExecutionPlan {
    std::vector<GgufKeyValue> metadata;  // exactly what the output's header holds
    std::vector<PlannedTensor> tensors;  // in output order
    // Whose kernels write the bytes: the llama.cpp release of the mix's rule set (IQ1_M differs).
    RuleSet rules = RuleSet::B4748;
    // Shares ownership of what the tensors' importance spans point into (an importance matrix),
    // so a plan stays valid wherever it is copied or moved: a job thread, a dialog, several outputs.
    std::shared_ptr<const void> importanceOwner;
};

struct PipelineProgress {
    size_t tensorIndex = 0;   // the tensor just written (0-based)
    size_t tensorCount = 0;
    std::string name;
    GgmlType from = GgmlType::F32;
    GgmlType to = GgmlType::F32;
    uint64_t inputBytesDone = 0;
    uint64_t inputBytesTotal = 0;
    uint64_t outputBytes = 0;   // of this tensor
};

struct PipelineResult {
    uint64_t inputBytes = 0;    // tensor data read
    uint64_t outputBytes = 0;   // tensor data written
    uint64_t fileBytes = 0;     // size of the output file
    double seconds = 0;
};

struct PipelineOptions {
    int threads = 0;                           // <= 0: all cores
    const std::atomic<bool> *cancel = nullptr;
    std::function<void(const PipelineProgress &)> progress;  // called from the writer thread
};

// The writer's layout of the plan's output (header, offsets, file size), computed without writing.
GgufLayout plannedLayout(const GgufModel &model, const ExecutionPlan &plan);

PipelineResult runQuantization(const GgufModel &model, const ExecutionPlan &plan, const std::filesystem::path &output,
                               const PipelineOptions &options);

} // namespace qb
