#include "eval/temporary_candidate.h"

#include "gguf/gguf_model.h"
#include "imatrix/importance_matrix.h"
#include "mix/plan_from_preset.h"
#include "pipeline/quantize_pipeline.h"

#include <memory>
#include <string>
#include <unistd.h>

namespace qb::eval {

TemporaryCandidate::TemporaryCandidate(const GgufModel &model, const MixPreset &preset,
                                       const std::filesystem::path &directory, int threads,
                                       const std::atomic<bool> *cancel) {
    static std::atomic<unsigned> serial{0};
    m_path = directory / (".quantbench-candidate-" + std::to_string(::getpid()) + "-" + std::to_string(serial++) + "-" +
                          preset.baseLabel + ".gguf");
    std::shared_ptr<const ImportanceMatrix> imatrix;
    if (!preset.imatrixFile.empty())
        imatrix = std::make_shared<const ImportanceMatrix>(ImportanceMatrix::load(preset.imatrixFile));
    const ExecutionPlan plan = planFromPreset(model, preset, std::move(imatrix)).plan;
    PipelineOptions po;
    po.threads = threads;
    po.cancel = cancel;
    // The pipeline writes under a hidden name and renames when complete: a failure leaves nothing.
    runQuantization(model, plan, m_path, po);
}

TemporaryCandidate::~TemporaryCandidate() {
    std::error_code ec;
    std::filesystem::remove(m_path, ec);
}

} // namespace qb::eval
