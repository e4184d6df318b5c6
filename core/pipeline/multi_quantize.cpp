#include "pipeline/multi_quantize.h"

#include "error.h"
#include "gguf/gguf_writer.h"
#include "gguf/tensor_bytes.h"
#include "kernels/kernels.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/buffer_pool.h"
#include "pipeline/plan_checks.h"
#include "pipeline/tensor_validation.h"
#include "pipeline/transcode_many.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

namespace qb {

const char *outputStateName(OutputState state) {
    switch (state) {
    case OutputState::Pending: return "pending";
    case OutputState::Written: return "written";
    case OutputState::Refused: return "refused";
    case OutputState::Failed: return "failed";
    case OutputState::Cancelled: return "cancelled";
    }
    return "?";
}

namespace {

using Buffer = BufferPool<uint8_t>::Buffer;

// One tensor's bytes for one writer. `owner` keeps a quantized buffer alive until every output
// that shares it has written it, then hands it back to the pool; copies view the input mapping.
struct OutputItem {
    size_t index = 0;
    std::shared_ptr<const Buffer> owner;
    std::span<const uint8_t> bytes;
};

// One distinct quantization (or the copy) of the current tensor and the outputs it feeds.
struct TensorGroup {
    const PlannedTensor *planned = nullptr;
    RuleSet rules = RuleSet::B4748;  // of the first output in the group: whose quantizer
    bool copied = false;
    std::shared_ptr<const Buffer> owner;
    uint64_t bytes = 0;
    std::vector<size_t> outputs;
};

bool sameImportance(std::span<const float> a, std::span<const float> b) {
    if (a.size() != b.size()) return false;
    return a.data() == b.data() || a.empty() || std::memcmp(a.data(), b.data(), a.size_bytes()) == 0;
}

bool sameSources(const ExecutionPlan &a, const ExecutionPlan &b) {
    if (a.tensors.size() != b.tensors.size()) return false;
    for (size_t i = 0; i < a.tensors.size(); ++i)
        if (a.tensors[i].source != b.tensors[i].source) return false;
    return true;
}

bool samePath(const std::filesystem::path &a, const std::filesystem::path &b) {
    std::error_code ec;
    if (std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec)) return std::filesystem::equivalent(a, b, ec);
    return std::filesystem::weakly_canonical(a, ec) == std::filesystem::weakly_canonical(b, ec);
}

// Slices of about this much input between cancellation checks, as in the single pipeline.
constexpr int64_t kSliceInputBytes = int64_t(4) << 20;

// Quantizes the tensor once per group, slice by slice; false when cancelled part way.
bool quantizeGroups(const GgufTensorInfo &info, const uint8_t *src, std::vector<TensorGroup> &groups,
                    const std::vector<uint8_t *> &dsts, int threads, const std::function<bool()> &cancelled) {
    const int64_t n = info.ne[0];
    const int64_t inRow = rowSizeBytes(info.type, n);
    const int64_t sliceRows = std::max<int64_t>(64, kSliceInputBytes / std::max<int64_t>(inRow, 1));
    // One importance vector per expert matrix when any group has them, as llama-quantize slices 3-D tensors.
    bool perMatrix = false;
    for (const TensorGroup &g : groups)
        if (!g.copied && g.planned->importance.size() > size_t(n)) perMatrix = true;
    const int64_t matrices = perMatrix ? info.ne[2] : 1;
    const int64_t rowsPerMatrix = perMatrix ? info.ne[1] : info.rows();
    std::vector<TranscodeTarget> targets;
    for (int64_t m = 0; m < matrices; ++m) {
        for (int64_t row = 0; row < rowsPerMatrix; row += sliceRows) {
            if (cancelled()) return false;
            const int64_t first = m * rowsPerMatrix + row;
            targets.clear();
            for (size_t g = 0; g < groups.size(); ++g) {
                if (groups[g].copied) continue;
                const PlannedTensor &p = *groups[g].planned;
                const float *importance = p.importance.empty() ? nullptr
                                          : p.importance.size() > size_t(n) ? p.importance.data() + m * n
                                                                            : p.importance.data();
                targets.push_back({p.target, dsts[g] + first * rowSizeBytes(p.target, n), importance,
                                   groups[g].rules});
            }
            transcodeRowsToMany(info.type, src + first * inRow, targets, std::min(sliceRows, rowsPerMatrix - row), n,
                                threads);
        }
    }
    return true;
}

} // namespace

MultiQuantizeResult runMultiQuantization(const GgufModel &model, const std::vector<MultiOutputSpec> &outputs,
                                         const MultiQuantizeOptions &options) {
    const auto start = std::chrono::steady_clock::now();
    const size_t nOut = outputs.size();
    MultiQuantizeResult result;
    result.outputs.resize(nOut);
    if (nOut == 0) return result;

    // Refusals first, before any tensor is read.
    BufferPool<uint8_t> pool;  // declared before anything holding its buffers
    std::vector<std::unique_ptr<GgufWriter>> writers(nOut);
    const ExecutionPlan &reference = outputs.front().plan;
    for (size_t j = 0; j < nOut; ++j) {
        MultiOutputResult &r = result.outputs[j];
        try {
            if (!sameSources(reference, outputs[j].plan))
                throw Error("its tensors are not those of the first output in the same order; a multi-output run "
                            "needs outputs of one model without --keep-split");
            for (size_t k = 0; k < j; ++k)
                if (samePath(outputs[k].path, outputs[j].path))
                    throw Error("same file as output " + std::to_string(k + 1) + " (" + outputs[k].path.string() + ")");
            validatePlan(model, outputs[j].plan);
            writers[j] = std::make_unique<GgufWriter>(outputs[j].path, outputs[j].plan.metadata,
                                                      outputLayout(model, outputs[j].plan), model.paths());
        } catch (const std::exception &e) {
            r.state = OutputState::Refused;
            r.error = e.what();
            if (options.failFast)
                throw Error(outputs[j].path.string() + ": " + e.what() + " (--fail-fast: nothing was written)",
                            ErrorKind::BadInput);
        }
    }
    if (std::none_of(writers.begin(), writers.end(), [](const auto &w) { return bool(w); })) return result;

    const size_t count = reference.tensors.size();
    uint64_t inputTotal = 0;
    for (const PlannedTensor &p : reference.tensors) inputTotal += model.tensors()[p.source].info->nbytes;

    std::atomic<bool> stop{false};  // fail-fast or a shared failure: every output winds down
    auto cancelled = [&] {
        return stop.load(std::memory_order_relaxed) ||
               (options.cancel && options.cancel->load(std::memory_order_relaxed));
    };
    std::mutex failureMutex;
    std::exception_ptr sharedFailure;
    auto failAll = [&](std::exception_ptr e) {
        std::lock_guard lock(failureMutex);
        if (!sharedFailure) sharedFailure = std::move(e);
        stop = true;
    };
    std::unique_ptr<std::atomic<bool>[]> outputFailed(new std::atomic<bool>[nOut]);
    for (size_t j = 0; j < nOut; ++j) outputFailed[j] = !writers[j];

    BoundedQueue<size_t> ready(1);
    std::vector<std::unique_ptr<BoundedQueue<OutputItem>>> queues;
    for (size_t j = 0; j < nOut; ++j) queues.push_back(std::make_unique<BoundedQueue<OutputItem>>(1));
    auto closeOutputs = [&] {
        for (auto &q : queues) q->close();
    };

    // Stage 1: read and check each input tensor once, ahead of the quantizer.
    std::atomic<uint8_t> touched{0};
    std::thread reader([&] {
        try {
            for (size_t i = 0; i < count && !cancelled(); ++i) {
                const PlannedTensor &p = reference.tensors[i];
                const GgufModel::Tensor &t = model.tensors()[p.source];
                model.ensureReadable(t);
                if (const auto bad = firstNonFinite(t.info->type, model.tensorData(t)))
                    throw Error("tensor '" + t.info->name + "' has invalid data: element " + std::to_string(*bad) +
                                " is NaN or infinite (llama-quantize refuses it too)");
                else if (!isValidatedType(t.info->type))
                    touched.fetch_xor(touchPages(model.tensorData(t)), std::memory_order_relaxed);
                if (!ready.push(i)) break;
            }
        } catch (...) {
            failAll(std::current_exception());
            closeOutputs();
        }
        ready.close();
    });

    // Stage 3: one writer per output, appending its tensors in order.
    std::vector<std::thread> writerThreads;
    for (size_t j = 0; j < nOut; ++j) {
        if (!writers[j]) continue;
        writerThreads.emplace_back([&, j] {
            MultiOutputResult &r = result.outputs[j];
            size_t written = 0;
            while (auto item = queues[j]->pop()) {
                if (outputFailed[j]) continue;  // drain what the quantizer handed over
                try {
                    writers[j]->writeTensor(item->bytes);
                    ++written;
                    r.tensorBytes += item->bytes.size();
                    if (options.outputProgress) options.outputProgress(j, written, count);
                } catch (const std::exception &e) {
                    r.state = OutputState::Failed;
                    r.error = e.what();
                    writers[j].reset();  // removes the temporary file now
                    outputFailed[j] = true;
                    if (options.failFast) stop = true;
                }
            }
            if (outputFailed[j]) return;
            try {
                if (written == count && !cancelled()) {
                    writers[j]->commit();
                    r.fileBytes = writers[j]->fileSize();
                    r.state = OutputState::Written;
                } else {
                    r.state = OutputState::Cancelled;
                }
            } catch (const std::exception &e) {
                r.state = OutputState::Failed;
                r.error = e.what();
            }
            writers[j].reset();  // uncommitted: removes the temporary file
            outputFailed[j] = r.state != OutputState::Written;
        });
    }

    // Stage 2 (this thread): per tensor, each distinct quantization once for the live outputs.
    try {
        uint64_t inputDone = 0;
        std::vector<TensorGroup> groups;
        std::vector<uint8_t *> dsts;
        while (auto i = ready.pop()) {
            if (cancelled()) break;
            groups.clear();
            const GgufModel::Tensor &t = model.tensors()[reference.tensors[*i].source];
            const GgufTensorInfo &info = *t.info;
            for (size_t j = 0; j < nOut; ++j) {
                if (outputFailed[j]) continue;
                const PlannedTensor &p = outputs[j].plan.tensors[*i];
                const bool copy = isCopy(info, p);
                // Outputs of different rule sets share a quantization unless their kernels differ (IQ1_M).
                const RuleSet rules = outputs[j].plan.rules;
                auto same = std::find_if(groups.begin(), groups.end(), [&](const TensorGroup &g) {
                    return g.copied == copy && g.planned->target == p.target &&
                           (copy || (sameImportance(g.planned->importance, p.importance) &&
                                     sameQuantizer(p.target, g.rules, rules)));
                });
                if (same == groups.end()) {
                    groups.push_back({&p, rules, copy, {}, 0, {}});
                    same = groups.end() - 1;
                }
                same->outputs.push_back(j);
                if (!copy) ++result.singleRunQuantizations;
            }
            if (groups.empty()) break;  // every output failed

            model.ensureReadable(t);  // checked again just before use: the reader ran ahead
            const std::span<const uint8_t> input = model.tensorData(t);
            dsts.assign(groups.size(), nullptr);
            bool anyQuantized = false;
            for (size_t g = 0; g < groups.size(); ++g) {
                TensorGroup &group = groups[g];
                if (group.copied) {
                    group.bytes = input.size();
                    // Written straight from the input mapping: its pages are dropped when the last
                    // writer has let go of them, so resident input stays bounded by the tensors in flight.
                    group.owner = std::shared_ptr<const Buffer>(new Buffer{}, [&model, &t](const Buffer *b) {
                        model.releaseTensorData(t);
                        delete b;
                    });
                    continue;
                }
                anyQuantized = true;
                ++result.quantizations;
                group.bytes = tensorBytesAt(info, group.planned->target);
                auto *buffer = new Buffer(pool.take(size_t(group.bytes)));
                dsts[g] = buffer->data.get();
                group.owner = std::shared_ptr<const Buffer>(buffer, [&pool](const Buffer *b) {
                    pool.give(std::move(*const_cast<Buffer *>(b)));
                    delete b;
                });
            }
            if (anyQuantized) {
                ++result.decodes;
                for (const TensorGroup &g : groups)
                    if (!g.copied) result.singleRunDecodes += g.outputs.size();
                if (!quantizeGroups(info, input.data(), groups, dsts, options.threads, cancelled)) break;
                // Decoded for the last time: unless an output copies it as it is (released above, by the
                // last writer), the input's pages go now, as in the single-output pipeline.
                if (std::none_of(groups.begin(), groups.end(), [](const TensorGroup &g) { return g.copied; }))
                    model.releaseTensorData(t);
            }
            MultiTensorProgress progress;
            for (TensorGroup &g : groups) {
                const std::span<const uint8_t> bytes =
                    g.copied ? input : std::span<const uint8_t>(g.owner->data.get(), size_t(g.bytes));
                for (size_t j : g.outputs) queues[j]->push(OutputItem{*i, g.owner, bytes});
                if (options.tensorDone)
                    progress.feeds.push_back({g.planned->target, g.copied, !g.planned->importance.empty(), g.bytes,
                                              g.outputs});
                g.owner.reset();
            }
            inputDone += info.nbytes;
            result.inputBytes += info.nbytes;
            if (options.tensorDone) {
                progress.tensorIndex = *i;
                progress.tensorCount = count;
                progress.name = info.name;
                progress.from = info.type;
                progress.inputBytesDone = inputDone;
                progress.inputBytesTotal = inputTotal;
                options.tensorDone(progress);
            }
        }
    } catch (...) {
        failAll(std::current_exception());
    }
    ready.close();
    closeOutputs();
    reader.join();
    for (std::thread &w : writerThreads) w.join();

    if (sharedFailure) {
        // Nothing can be complete without every tensor, but say so for any output still pending.
        std::rethrow_exception(sharedFailure);
    }
    result.cancelled = options.cancel && options.cancel->load();
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace qb
