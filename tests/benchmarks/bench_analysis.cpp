// Error-analysis speed: one tensor of 50 M elements (8192 rows x 6144, F16, heavy-tailed),
// preview and exact, on one thread. Target: preview well under 100 ms for every type, with and
// without importance data (an importance vector makes several quantizers search more: Q4_0 to
// Q5_1 and the K-quants run their weighted searches). Types that cannot work without importance
// data get it in both runs.
#include "analysis/tensor_analyzer.h"
#include "float_convert.h"
#include "kernels/kernels.h"

#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

namespace {

constexpr int64_t kRows = 8192;
constexpr int64_t kCols = 6144;

// Heavy-tailed weights (a Gaussian divided by a random scale) stored as F16, built once.
const std::vector<uint16_t> &tensor() {
    static const std::vector<uint16_t> data = [] {
        std::vector<uint16_t> d(static_cast<size_t>(kRows * kCols));
        std::mt19937_64 rng(42);
        std::normal_distribution<float> normal(0.0f, 0.02f);
        std::uniform_real_distribution<float> scale(0.5f, 1.5f);
        for (auto &v : d) v = qb::fp32ToFp16(normal(rng) / scale(rng));
        return d;
    }();
    return data;
}

const std::vector<float> &importance() {
    static const std::vector<float> imp = [] {
        std::vector<float> v(static_cast<size_t>(kCols));
        std::mt19937_64 rng(7);
        std::exponential_distribution<float> e(1.0f);
        for (auto &x : v) x = e(rng);
        return v;
    }();
    return imp;
}

void analyse(benchmark::State &state, qb::GgmlType type, qb::AnalysisMode mode, bool withImportance) {
    if (!qb::canQuantize(type)) {
        state.SkipWithError("type not available in this build");
        return;
    }
    qb::TensorAnalysisRequest req;
    req.sourceType = qb::GgmlType::F16;
    const auto &t = tensor();
    req.sourceData = {reinterpret_cast<const uint8_t *>(t.data()), t.size() * 2};
    req.rows = kRows;
    req.rowLength = kCols;
    req.candidate = type;
    if (withImportance || qb::needsImportance(type)) req.importance = importance();
    req.mode = mode;
    req.threads = 1;
    int64_t analysed = 0, elements = 0;
    for (auto _ : state) {
        const qb::TensorAnalysis a = qb::analyzeTensor(req);
        analysed = int64_t(a.rowIndices.size());
        elements = a.metrics.elements;
        benchmark::DoNotOptimize(a.metrics.rmse);
    }
    state.counters["rows"] = double(analysed);
    state.counters["elements"] = double(elements);
}

void registerAll() {
    for (const char *name : {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q6_K", "Q2_K", "Q3_K", "Q5_K", "IQ4_XS",
                             "IQ4_NL", "IQ3_S", "IQ3_XXS", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ1_S", "IQ1_M", "TQ1_0",
                             "TQ2_0", "BF16", "F16"}) {
        const qb::GgmlType type = *qb::typeFromName(name);
        for (bool withImportance : {false, true}) {
            if (withImportance && qb::needsImportance(type)) continue;  // "preview/" already has it
            benchmark::RegisterBenchmark((std::string(withImportance ? "preview_imatrix/" : "preview/") + name).c_str(),
                                         analyse, type, qb::AnalysisMode::Preview, withImportance)
                ->Unit(benchmark::kMillisecond)
                ->MinTime(0.2);
        }
    }
    benchmark::RegisterBenchmark("exact/Q4_K", analyse, qb::GgmlType::Q4_K, qb::AnalysisMode::Exact, false)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
}

} // namespace

int main(int argc, char **argv) {
    registerAll();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
