// Quantizes one model to several outputs (labels, presets) in a single pass over the input.
//
// Contract: every output's plan must list the same input tensors in the same order (plans of one
// model by label or preset do; --keep-split plans do not and are refused). Each input tensor is
// read and checked once and decoded once; each distinct (tensor, target type, importance data)
// is quantized once and its bytes handed to every output that uses it; copied tensors are handed
// over as views of the input mapping. One GgufWriter per output, each on its own thread, so the
// outputs are written side by side, streamed, and each is byte-identical to runQuantization of its
// plan alone.
//
// Memory: the quantizer works on one tensor while each writer has at most one tensor queued and
// one being written, so at most three tensors are in flight and a quantized buffer lives until
// the slowest writer has written it: at most 3 x (distinct target types of a tensor) quantized
// tensors, plus one chunk of decoded rows (64 Ki floats) per kernel thread. Never the model.
//
// All-or-nothing per output: a plan that cannot run or a target that cannot be created is
// refused before any tensor is read (state Refused); a write failure (full disk) removes that
// output's temporary file (state Failed) and the others go on, unless failFast, which stops them
// all. An output appears under its name only when all its tensors are written (state Written).
// Cancellation leaves only the outputs already committed. A failure every output shares (input
// truncated or holding NaN, a kernel error) throws qb::Error after every temporary file is removed.
#pragma once

#include "pipeline/quantize_pipeline.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace qb {

struct MultiOutputSpec {
    std::filesystem::path path;
    ExecutionPlan plan;
};

enum class OutputState { Pending, Written, Refused, Failed, Cancelled };
const char *outputStateName(OutputState state);

struct MultiOutputResult {
    OutputState state = OutputState::Pending;
    std::string error;         // why it was refused or failed
    uint64_t tensorBytes = 0;  // tensor data written
    uint64_t fileBytes = 0;    // size of the finished file (Written only)
};

// What one input tensor fed: each distinct target type and the outputs that received it.
struct TensorFeed {
    GgmlType type = GgmlType::F32;
    bool copied = false;             // stored type kept: bytes copied from the input
    bool withImportance = false;
    uint64_t bytes = 0;
    std::vector<size_t> outputs;     // indices into the specs
};

struct MultiTensorProgress {
    size_t tensorIndex = 0;
    size_t tensorCount = 0;
    std::string name;
    GgmlType from = GgmlType::F32;
    std::vector<TensorFeed> feeds;
    uint64_t inputBytesDone = 0;
    uint64_t inputBytesTotal = 0;
};

struct MultiQuantizeOptions {
    int threads = 0;                              // <= 0: all cores
    const std::atomic<bool> *cancel = nullptr;
    bool failFast = false;                        // a refused or failed output stops every output
    // Called on the quantizer thread once a tensor is quantized and handed to the writers.
    std::function<void(const MultiTensorProgress &)> tensorDone;
    // Called on output `output`'s writer thread after each tensor written (written of total).
    std::function<void(size_t output, size_t written, size_t total)> outputProgress;
};

struct MultiQuantizeResult {
    std::vector<MultiOutputResult> outputs;  // one per spec, same order
    size_t quantizations = 0;          // distinct (tensor, type, importance) quantized
    size_t singleRunQuantizations = 0; // what separate single-output runs would have quantized
    size_t decodes = 0;                // input tensors decoded (once each)
    size_t singleRunDecodes = 0;       // what separate runs would have decoded
    uint64_t inputBytes = 0;           // tensor data read, once
    double seconds = 0;
    bool cancelled = false;
};

MultiQuantizeResult runMultiQuantization(const GgufModel &model, const std::vector<MultiOutputSpec> &outputs,
                                         const MultiQuantizeOptions &options);

} // namespace qb
