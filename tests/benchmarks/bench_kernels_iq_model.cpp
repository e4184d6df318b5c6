// Quantization speed on the weights a whole-model run sees, one thread, for every type the IQ and
// TQ labels assign (their IQ/TQ base types and the K-quants and Q8_0 their rules give the
// vocabulary matrices, attn_v and friends), so that (elements of a type in a model) / (items per
// second here) predicts the CPU time of `quantbench-cli quantize` on that model
// (packaging/predict-quantize-time.sh does the sum). The older bench_kernels_iq2/iq3 feed Gaussian
// F32 rows of 256: their figures were ten times the whole-model rate (issue #20), because the
// search cost of the IQ kernels depends on the distribution (outliers push most weights into few
// levels and off the grid) and on the importance path.
//
// What is timed is what the pipeline runs: transcodeRows from F16 rows (make-model's and most
// published models' storage type), which decodes a chunk of rows and quantizes it in one pass.
// Input: heavy-tailed rows like make-model's (core/demo: Student-t with 4 degrees of freedom,
// scaled by 0.6 / sqrt(cols), a per-row gain 0.5-1.5 and about 1 in 64 columns scaled 6-20x);
// row lengths 1024 (the benchmark model's embedding width: attention, FFN gate/up, and the
// vocabulary matrices token_embd / output, whose rows are the embedding width), 2816 (its FFN
// down), 4096 (an 8B model's embedding width) and 14336 (an 8B model's FFN down); about 1 M
// elements per case. The importance vector follows tests/cli/make_imatrix.py, the file
// packaging/bench-quantize.sh -i hands to both quantizers. Types that cannot run without
// importance data (IQ2_XXS, IQ2_XS, IQ1_S, IQ1_M) are measured with it only.
//
// Benchmark names: quantize/TYPE/COLUMNS/plain|imatrix (TYPE as quantbench-cli prints it).
// Rates are items per CPU second of the benchmark thread (Google Benchmark's default), which
// other load on a shared machine inflates less than wall time.
//
// pipeline/copy: what a run costs besides converting, per byte of input: runQuantization of a
// generated model with the COPY label (every tensor written as it is), a file of about 60 MB in the temporary
// folder, so mapping and reading the input, dropping its pages, writing the output. Items are input
// bytes per CPU second of the whole process (its reader and writer threads, user + system).
#include "float_convert.h"
#include "ggml_types.h"
#include "demo/demo_model.h"
#include "gguf/gguf_model.h"
#include "kernels/kernels.h"
#include "mix/plan_from_preset.h"
#include "pipeline/quantize_pipeline.h"

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr int64_t kElements = int64_t(1) << 20;

uint64_t mix64(uint64_t &s) {
    uint64_t x = (s += 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}
double uniform(uint64_t &s) { return double(mix64(s) >> 11) * 0x1.0p-53; }
double normal(uint64_t &s) {
    const double u = uniform(s) + 0x1.0p-54;
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * uniform(s));
}
// Student-t with 4 degrees of freedom: normal / sqrt(chi2_4 / 4).
double studentT4(uint64_t &s) {
    double chi2 = 0;
    for (int i = 0; i < 4; ++i) {
        const double n = normal(s);
        chi2 += n * n;
    }
    return normal(s) / std::sqrt(chi2 / 4.0);
}

int64_t rowsFor(int64_t cols) { return (kElements + cols - 1) / cols; }

// F16 bits, as the model file stores them.
const std::vector<uint16_t> &weights(int64_t cols) {
    static std::map<int64_t, std::vector<uint16_t>> cache;
    auto [it, fresh] = cache.try_emplace(cols);
    if (!fresh) return it->second;
    const int64_t rows = rowsFor(cols);
    uint64_t s = 0x5eedull * uint64_t(cols);
    std::vector<double> columnGain(size_t(cols), 1.0);
    for (double &g : columnGain)
        if (mix64(s) % 64 == 0) g = 6.0 + 14.0 * uniform(s);
    const double scale = 0.6 / std::sqrt(double(cols));
    std::vector<uint16_t> &w = it->second;
    w.resize(size_t(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
        const double rowGain = 0.5 + uniform(s);
        for (int64_t c = 0; c < cols; ++c)
            w[size_t(r * cols + c)] = qb::fp32ToFp16(float(studentT4(s) * scale * rowGain * columnGain[size_t(c)]));
    }
    return w;
}

// tests/cli/make_imatrix.py's values for one tensor: 0.05 + ((seed + i * 40503) % 9973) / 997.3.
const std::vector<float> &importance(int64_t cols) {
    static std::map<int64_t, std::vector<float>> cache;
    auto [it, fresh] = cache.try_emplace(cols);
    if (!fresh) return it->second;
    const uint64_t seed = 1234567ull * 2654435761ull;
    it->second.resize(size_t(cols));
    for (int64_t i = 0; i < cols; ++i)
        it->second[size_t(i)] = float(0.05 + double((seed + uint64_t(i) * 40503ull) % 9973ull) / 997.3);
    return it->second;
}

void quantize(benchmark::State &state, qb::GgmlType type, int64_t cols, bool withImportance) {
    const int64_t rows = rowsFor(cols);
    const std::vector<uint16_t> &w = weights(cols);
    const float *imp = withImportance ? importance(cols).data() : nullptr;
    std::vector<uint8_t> out(size_t(rows * qb::rowSizeBytes(type, cols)));
    for (auto _ : state) {
        qb::transcodeRows(qb::GgmlType::F16, w.data(), type, out.data(), rows, cols, imp, 1);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * rows * cols);
}

void pipelineCopy(benchmark::State &state) {
    const std::filesystem::path folder =
        std::filesystem::temp_directory_path() / ("bench_kernels_iq_model." + std::to_string(::getpid()));
    std::filesystem::create_directories(folder);
    qb::DemoModelSpec spec;  // 2 layers of 1024 (FFN 2816) and 4096 tokens: about 60 MB of F16
    spec.layers = 2;
    spec.embedding = 1024;
    spec.feedForward = 2816;
    qb::writeDemoModel(folder / "in.gguf", spec);
    qb::MixPreset copy;
    copy.baseLabel = "COPY";
    qb::PipelineOptions options;
    options.threads = 1;
    uint64_t bytes = 0;
    for (auto _ : state) {
        std::filesystem::remove(folder / "out.gguf");
        // Opened afresh each time, as each quantbench-cli run maps the file anew (its first-touch
        // page faults are part of the cost).
        const std::unique_ptr<qb::GgufModel> model = qb::GgufModel::open(folder / "in.gguf");
        const qb::PresetPlan planned = qb::planFromPreset(*model, copy, nullptr);
        bytes += qb::runQuantization(*model, planned.plan, folder / "out.gguf", options).inputBytes;
    }
    state.SetItemsProcessed(int64_t(bytes));
    std::filesystem::remove_all(folder);
}

const bool registered = [] {
    using T = qb::GgmlType;
    // Every type `quantbench-cli quantize --dry-run` assigns under the 2026-09 rules for the labels
    // IQ1_S ... IQ4_XS, TQ1_0 and TQ2_0, with and without an importance matrix, on make-model's
    // models (and Q8_0, which other shapes' rules use).
    const T types[] = {T::IQ1_S, T::IQ1_M, T::IQ2_XXS, T::IQ2_XS, T::IQ2_S, T::IQ3_XXS, T::IQ3_S, T::IQ4_NL, T::IQ4_XS,
                       T::TQ1_0, T::TQ2_0, T::Q2_K,    T::Q3_K,   T::Q4_K,  T::Q5_K,    T::Q6_K,  T::Q8_0};
    for (T type : types)
        for (int64_t cols : {1024, 2816, 4096, 14336})
            for (bool imp : {false, true}) {
                if (!imp && qb::needsImportance(type)) continue;
                const std::string name = std::string("quantize/") + qb::typeName(type) + "/" + std::to_string(cols) +
                                         (imp ? "/imatrix" : "/plain");
                benchmark::RegisterBenchmark(name.c_str(), quantize, type, cols, imp)->Unit(benchmark::kMillisecond);
            }
    benchmark::RegisterBenchmark("pipeline/copy", pipelineCopy)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
    return true;
}();

} // namespace

BENCHMARK_MAIN();
