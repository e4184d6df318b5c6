#include "pipeline/quantize_pipeline.h"

#include "error.h"
#include "gguf/gguf_writer.h"
#include "kernels/kernels.h"
#include "kernels/block_scale_validation.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/buffer_pool.h"
#include "pipeline/plan_checks.h"
#include "pipeline/tensor_validation.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <exception>
#include <mutex>
#include <thread>

namespace qb {
namespace {

// A tensor the reader has checked and brought into memory, ready for the quantizer.
struct ReadTensor {
    size_t index = 0;
};

// A tensor on its way from the quantizer to the writer: owned bytes, or a view of the input.
struct EncodedTensor {
    size_t index = 0;
    BufferPool<uint8_t>::Buffer owned;
    std::span<const uint8_t> bytes;  // into owned, or into the input mapping when copied
};

// First failure of any stage; the others see it and wind down.
class FailureLatch {
public:
    void set(std::exception_ptr e) {
        std::lock_guard lock(m_mutex);
        if (!m_error) m_error = std::move(e);
        m_failed = true;
    }
    bool failed() const { return m_failed.load(); }
    void rethrow() const {
        if (m_error) std::rethrow_exception(m_error);
    }

private:
    std::mutex m_mutex;
    std::exception_ptr m_error;
    std::atomic<bool> m_failed{false};
};

} // namespace

// Shared with the multi-output job (pipeline/plan_checks.h).
bool isCopy(const GgufTensorInfo &info, const PlannedTensor &p) { return info.type == p.target; }

void validatePlan(const GgufModel &model, const ExecutionPlan &plan) {
    for (const PlannedTensor &p : plan.tensors) {
        if (p.source >= model.tensors().size()) throw std::logic_error("execution plan names a tensor out of range");
        const GgufTensorInfo &info = *model.tensors()[p.source].info;
        if (isCopy(info, p)) continue;
        const TypeTraits &to = typeTraits(p.target);
        if (info.ne[0] % to.blockSize != 0)
            throw Error("tensor '" + info.name + "': row length " + std::to_string(info.ne[0]) +
                        " is not a whole number of " + to.name + " blocks");
        if (!canDequantize(info.type))
            throw Error("tensor '" + info.name + "': cannot decode its type " + typeName(info.type));
        if (!canQuantize(p.target)) throw Error("tensor '" + info.name + "': cannot quantize to " + to.name);
        const size_t n = p.importance.size();
        if (n != 0 && n != size_t(info.ne[0]) && !(n == size_t(info.ne[0] * info.ne[2]) && info.ne[3] == 1))
            throw Error("tensor '" + info.name + "': importance data has " + std::to_string(n) +
                        " values; expected " + std::to_string(info.ne[0]) + " per matrix");
        if (n == 0 && needsImportance(p.target))
            throw Error("tensor '" + info.name + "': " + to.name + " needs importance data for this tensor");
    }
}

std::vector<GgufTensorPlan> outputLayout(const GgufModel &model, const ExecutionPlan &plan) {
    std::vector<GgufTensorPlan> layout;
    layout.reserve(plan.tensors.size());
    for (const PlannedTensor &p : plan.tensors) {
        const GgufTensorInfo &info = *model.tensors()[p.source].info;
        layout.push_back({p.outputName.empty() ? info.name : p.outputName, p.target, info.nDims, info.ne});
    }
    return layout;
}

namespace {

// Rows are quantized independently, so a tensor can be done in slices with the same bytes; slices
// of about this much input let a cancellation take effect within a large tensor (a 62 MB
// embedding takes 15 s as IQ3_S on one core) while each slice still has rows for every thread.
constexpr int64_t kSliceInputBytes = int64_t(4) << 20;

// Decodes and quantizes in one pass (transcodeRows), slice by slice: no F32 copy of the tensor.
// Returns false when cancelled part way.
bool quantizeTensor(const GgufTensorInfo &info, const PlannedTensor &p, RuleSet rules, const uint8_t *src, uint8_t *dst,
                    int threads, const std::function<bool()> &cancelled) {
    const int64_t n = info.ne[0];
    const int64_t inRow = rowSizeBytes(info.type, n), outRow = rowSizeBytes(p.target, n);
    const int64_t sliceRows = std::max<int64_t>(64, kSliceInputBytes / std::max<int64_t>(inRow, 1));
    // One importance vector per expert matrix, as llama-quantize slices a 3-D tensor.
    const bool perMatrix = p.importance.size() > size_t(n);
    const int64_t matrices = perMatrix ? info.ne[2] : 1;
    const int64_t rowsPerMatrix = perMatrix ? info.ne[1] : info.rows();
    for (int64_t m = 0; m < matrices; ++m) {
        const float *importance = p.importance.empty() ? nullptr : p.importance.data() + (perMatrix ? m * n : 0);
        for (int64_t row = 0; row < rowsPerMatrix; row += sliceRows) {
            if (cancelled()) return false;
            const int64_t first = m * rowsPerMatrix + row;
            transcodeRows(info.type, src + first * inRow, p.target, dst + first * outRow,
                          std::min(sliceRows, rowsPerMatrix - row), n, importance, threads, rules);
        }
    }
    return true;
}

} // namespace

// Reads every page of the tensor once, so the quantizer finds it in memory instead of waiting
// on the disk: this is the "read the next tensor" stage. The sum only keeps the loads alive.
uint8_t touchPages(std::span<const uint8_t> bytes) {
    constexpr size_t page = 4096;
    uint8_t sum = 0;
    for (size_t i = 0; i < bytes.size(); i += page) sum ^= bytes[i];
    return sum;
}

GgufLayout plannedLayout(const GgufModel &model, const ExecutionPlan &plan) {
    return ggufLayout(plan.metadata, outputLayout(model, plan));
}

PipelineResult runQuantization(const GgufModel &model, const ExecutionPlan &plan, const std::filesystem::path &output,
                               const PipelineOptions &options) {
    const auto start = std::chrono::steady_clock::now();
    validatePlan(model, plan);

    GgufWriter writer(output, plan.metadata, outputLayout(model, plan), model.paths());
    const std::vector<GgufTensorInfo> &outInfos = writer.tensorInfos();

    uint64_t inputTotal = 0;
    for (const PlannedTensor &p : plan.tensors) inputTotal += model.tensors()[p.source].info->nbytes;

    auto cancelled = [&] { return options.cancel && options.cancel->load(std::memory_order_relaxed); };
    BoundedQueue<ReadTensor> ready(1);
    BoundedQueue<EncodedTensor> encoded(1);
    FailureLatch failure;
    BufferPool<uint8_t> byteBuffers;

    // Stage 1: read the next tensor while the current one is quantized.
    std::atomic<uint8_t> touched{0};
    std::thread reader([&] {
        try {
            for (size_t i = 0; i < plan.tensors.size() && !failure.failed() && !cancelled(); ++i) {
                const PlannedTensor &p = plan.tensors[i];
                const GgufModel::Tensor &t = model.tensors()[p.source];
                // An input truncated since it was opened is an error, not a SIGBUS; every tensor,
                // copied ones too, is checked here in plan order so the first one lost is named.
                model.ensureReadable(t);
                // Refused like llama-quantize; the scan also brings the pages in for the quantizer.
                if (const auto bad = firstNonFinite(t.info->type, model.tensorData(t)))
                    throw Error("tensor '" + t.info->name + "' has invalid data: element " + std::to_string(*bad) +
                                " is NaN or infinite (llama-quantize refuses it too)");
                // Quantized inputs (--allow-requantize, or copied as they are): their block scales,
                // as ggml_validate_row_data checks them.
                else if (const auto badScale = firstInvalidBlockScale(t.info->type, model.tensorData(t)))
                    throw Error(describeInvalidBlockScale(t.info->name, t.info->type, *badScale));
                else if (!isCopy(*t.info, p) && !isValidatedType(t.info->type))
                    touched.fetch_xor(touchPages(model.tensorData(t)), std::memory_order_relaxed);
                if (!ready.push(ReadTensor{i})) break;
            }
        } catch (...) {
            failure.set(std::current_exception());
            encoded.close();
        }
        ready.close();
    });

    // Stage 3: append finished tensors to the output in order.
    PipelineResult result;
    std::thread writerThread([&] {
        try {
            uint64_t inputDone = 0;
            while (auto e = encoded.pop()) {
                const std::span<const uint8_t> bytes = e->bytes;
                writer.writeTensor(bytes);
                const PlannedTensor &p = plan.tensors[e->index];
                // A copied tensor was written straight from the input mapping: its pages go now.
                if (!e->owned.data) model.releaseTensorData(model.tensors()[p.source]);
                const GgufTensorInfo &in = *model.tensors()[p.source].info;
                inputDone += in.nbytes;
                result.inputBytes += in.nbytes;
                result.outputBytes += bytes.size();
                if (options.progress)
                    options.progress({e->index, plan.tensors.size(), in.name, in.type, p.target, inputDone, inputTotal,
                                      uint64_t(bytes.size())});
                byteBuffers.give(std::move(e->owned));
            }
        } catch (...) {
            failure.set(std::current_exception());
            ready.close();
        }
        encoded.close();
    });

    // Stage 2 (this thread): quantize with all the kernel threads.
    try {
        while (auto d = ready.pop()) {
            if (cancelled() || failure.failed()) break;
            const PlannedTensor &p = plan.tensors[d->index];
            const GgufModel::Tensor &t = model.tensors()[p.source];
            EncodedTensor e{d->index, {}, {}};
            // Checked again just before the data is used (the reader ran ahead), so an input
            // truncated meanwhile is an error, not a SIGBUS.
            model.ensureReadable(t);
            if (isCopy(*t.info, p)) {
                // The writer copies from the mapping with write(), which fails with EFAULT rather
                // than SIGBUS for a page lost later still, so even that race ends in an error.
                e.bytes = model.tensorData(t);
            } else {
                const size_t nbytes = size_t(outInfos[d->index].nbytes);
                e.owned = byteBuffers.take(nbytes);
                if (!quantizeTensor(*t.info, p, plan.rules, model.tensorData(t).data(), e.owned.data.get(), options.threads,
                                    cancelled))
                    break;
                e.bytes = std::span<const uint8_t>(e.owned.data.get(), nbytes);
                // The input's pages are not needed again: resident memory stays bounded by the
                // tensors in flight, not by the model (a sparse 30 GB model is in the README).
                model.releaseTensorData(t);
            }
            if (!encoded.push(std::move(e))) break;
        }
    } catch (...) {
        failure.set(std::current_exception());
    }
    encoded.close();
    ready.close();
    reader.join();
    writerThread.join();

    failure.rethrow();
    if (cancelled()) throw Error("quantization cancelled; no output was written", ErrorKind::Cancelled);
    writer.commit();
    result.fileBytes = writer.fileSize();
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace qb
