#include "pipeline/quantize_pipeline.h"

#include "error.h"
#include "gguf/gguf_writer.h"
#include "kernels/kernels.h"
#include "pipeline/bounded_queue.h"

#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

namespace qb {
namespace {

// A tensor on its way from the reader to the quantizer: decoded floats, or nothing when copied.
struct DecodedTensor {
    size_t index = 0;
    std::vector<float> values;
};

// A tensor on its way from the quantizer to the writer: owned bytes, or a view of the input.
struct EncodedTensor {
    size_t index = 0;
    std::vector<uint8_t> owned;
    std::span<const uint8_t> view;
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
        layout.push_back({info.name, p.target, info.nDims, info.ne});
    }
    return layout;
}

void quantizeTensor(const GgufTensorInfo &info, const PlannedTensor &p, const float *src, uint8_t *dst, int threads) {
    const int64_t n = info.ne[0];
    if (p.importance.size() <= size_t(n)) {
        quantizeRows(p.target, src, dst, info.rows(), n, p.importance.empty() ? nullptr : p.importance.data(), threads);
        return;
    }
    // One importance vector per expert matrix, as llama-quantize slices a 3-D tensor.
    const int64_t rowsPerMatrix = info.ne[1];
    const int64_t rowBytes = rowSizeBytes(p.target, n);
    for (int64_t m = 0; m < info.ne[2]; ++m)
        quantizeRows(p.target, src + m * rowsPerMatrix * n, dst + m * rowsPerMatrix * rowBytes, rowsPerMatrix, n,
                     p.importance.data() + m * n, threads);
}

} // namespace

PipelineResult runQuantization(const GgufModel &model, const ExecutionPlan &plan, const std::filesystem::path &output,
                               const PipelineOptions &options) {
    const auto start = std::chrono::steady_clock::now();
    validatePlan(model, plan);

    GgufWriter writer(output, plan.metadata, outputLayout(model, plan), model.paths());
    const std::vector<GgufTensorInfo> &outInfos = writer.tensorInfos();

    uint64_t inputTotal = 0;
    for (const PlannedTensor &p : plan.tensors) inputTotal += model.tensors()[p.source].info->nbytes;

    auto cancelled = [&] { return options.cancel && options.cancel->load(std::memory_order_relaxed); };
    BoundedQueue<DecodedTensor> decoded(1);
    BoundedQueue<EncodedTensor> encoded(1);
    FailureLatch failure;

    // Stage 1: decode the next tensor to F32 while the current one is quantized.
    std::thread reader([&] {
        try {
            for (size_t i = 0; i < plan.tensors.size() && !failure.failed() && !cancelled(); ++i) {
                const PlannedTensor &p = plan.tensors[i];
                const GgufModel::Tensor &t = model.tensors()[p.source];
                DecodedTensor d{i, {}};
                // An input truncated since it was opened is an error, not a SIGBUS; every tensor,
                // copied ones too, is checked here in plan order so the first one lost is named.
                model.ensureReadable(t);
                if (!isCopy(*t.info, p)) {
                    d.values.resize(size_t(t.info->elements()));
                    dequantizeRows(t.info->type, model.tensorData(t).data(), d.values.data(), t.info->rows(),
                                   t.info->ne[0], 1);
                }
                if (!decoded.push(std::move(d))) break;
            }
        } catch (...) {
            failure.set(std::current_exception());
            encoded.close();
        }
        decoded.close();
    });

    // Stage 3: append finished tensors to the output in order.
    PipelineResult result;
    std::thread writerThread([&] {
        try {
            uint64_t inputDone = 0;
            while (auto e = encoded.pop()) {
                const std::span<const uint8_t> bytes = e->owned.empty() ? e->view : std::span<const uint8_t>(e->owned);
                writer.writeTensor(bytes);
                const PlannedTensor &p = plan.tensors[e->index];
                const GgufTensorInfo &in = *model.tensors()[p.source].info;
                inputDone += in.nbytes;
                result.inputBytes += in.nbytes;
                result.outputBytes += bytes.size();
                if (options.progress)
                    options.progress({e->index, plan.tensors.size(), in.name, in.type, p.target, inputDone, inputTotal,
                                      uint64_t(bytes.size())});
            }
        } catch (...) {
            failure.set(std::current_exception());
            decoded.close();
        }
        encoded.close();
    });

    // Stage 2 (this thread): quantize with all the kernel threads.
    try {
        while (auto d = decoded.pop()) {
            if (cancelled() || failure.failed()) break;
            const PlannedTensor &p = plan.tensors[d->index];
            const GgufModel::Tensor &t = model.tensors()[p.source];
            EncodedTensor e{d->index, {}, {}};
            if (isCopy(*t.info, p)) {
                // Checked again just before the view is taken (the reader ran ahead). The writer
                // copies from the mapping with write(), which fails with EFAULT rather than SIGBUS
                // for a page lost later still, so even that race ends in an error.
                model.ensureReadable(t);
                e.view = model.tensorData(t);
            } else {
                e.owned.resize(size_t(outInfos[d->index].nbytes));
                quantizeTensor(*t.info, p, d->values.data(), e.owned.data(), options.threads);
            }
            if (!encoded.push(std::move(e))) break;
        }
    } catch (...) {
        failure.set(std::current_exception());
    }
    encoded.close();
    decoded.close();
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
