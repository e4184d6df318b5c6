// Quantization throughput of every type this build can produce, in input MB/s:
//   <TYPE>/reference   the plain scalar algorithm, one thread (qb::quantizeRowsReference)
//   <TYPE>/fast/1      the fast path, one thread (qb::quantizeRows)
//   <TYPE>/fast/all    the fast path on every core
// on one deterministic heavy-tailed F32 tensor of up to 4096 x 4096, with an importance
// vector for the types llama.cpp refuses to make without one.
//
// Slow types get fewer rows: the first benchmark of a type times the reference on a few rows
// and sizes the tensor so one reference pass takes about kTargetSeconds (at least 64 rows,
// at most 4096). All three variants of a type then use the same rows, so their ratios are fair.
// Single-thread rates use thread CPU time, the all-threads rate wall time (see registerAll).
// Run a subset with --benchmark_filter=Q4_K (a regex on the names above);
// packaging/run-benchmarks.sh turns a run into a table of ratios.
#include "kernels/kernels.h"

#include <benchmark/benchmark.h>

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int64_t kMaxRows = 4096;
constexpr int64_t kCols = 4096;
constexpr int64_t kMinRows = 64;
constexpr double kTargetSeconds = 0.1;

// Student-t (4 degrees of freedom) weights: a Gaussian bulk with the heavy tails of real
// LLM weight matrices, which is what stresses the scale searches. Built once, seeded.
const std::vector<float> &tensor() {
    static const std::vector<float> data = [] {
        std::vector<float> d(static_cast<size_t>(kMaxRows * kCols));
        std::mt19937_64 rng(20250221);
        std::student_t_distribution<float> t(4.0f);
        for (float &v : d) v = 0.02f * t(rng);
        return d;
    }();
    return data;
}

// Positive per-column importance, spread over two orders of magnitude like real imatrix data.
const std::vector<float> &importance() {
    static const std::vector<float> imp = [] {
        std::vector<float> v(static_cast<size_t>(kCols));
        std::mt19937_64 rng(7);
        std::lognormal_distribution<float> logn(0.0f, 1.0f);
        for (float &x : v) x = logn(rng);
        return v;
    }();
    return imp;
}

const float *importanceFor(qb::GgmlType type) { return qb::needsImportance(type) ? importance().data() : nullptr; }

// Rows per iteration for a type, measured once from the reference path.
int64_t rowsFor(qb::GgmlType type) {
    static std::map<qb::GgmlType, int64_t> cache;
    if (auto it = cache.find(type); it != cache.end()) return it->second;
    constexpr int64_t probeRows = 8;
    std::vector<uint8_t> out(static_cast<size_t>(probeRows * qb::rowSizeBytes(type, kCols)));
    const float *src = tensor().data();  // built before the clock starts
    const auto start = std::chrono::steady_clock::now();
    qb::quantizeRowsReference(type, src, out.data(), probeRows, kCols, importanceFor(type));
    const double perRow = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / probeRows;
    int64_t rows = perRow > 0 ? int64_t(kTargetSeconds / perRow) : kMaxRows;
    rows = std::clamp<int64_t>(rows / kMinRows * kMinRows, kMinRows, kMaxRows);
    cache.emplace(type, rows);
    return rows;
}

enum class Path { Reference, Fast };

void quantizeBench(benchmark::State &state, qb::GgmlType type, Path path, int threads) {
    const int64_t rows = rowsFor(type);
    const float *imp = importanceFor(type);
    std::vector<uint8_t> out(static_cast<size_t>(rows * qb::rowSizeBytes(type, kCols)));
    for (auto _ : state) {
        if (path == Path::Reference)
            qb::quantizeRowsReference(type, tensor().data(), out.data(), rows, kCols, imp);
        else
            qb::quantizeRows(type, tensor().data(), out.data(), rows, kCols, imp, threads);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * rows * kCols * int64_t(sizeof(float)));
    state.counters["rows"] = double(rows);
    state.counters["threads"] = double(path == Path::Reference ? 1 : threads);
}

// Benchmark names use upper-case type names (Q4_K, IQ2_XXS, BF16) whatever ggml's spelling.
std::string upperName(const char *name) {
    std::string s = name;
    for (char &c : s)
        if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
    return s;
}

void registerAll() {
    const int allThreads = omp_get_max_threads();
    for (const qb::TypeTraits *t = qb::allTypesBegin(); t != qb::allTypesEnd(); ++t) {
        if (!qb::canQuantize(t->type)) continue;
        const std::string name = upperName(t->name);
        const struct {
            const char *suffix;
            Path path;
            int threads;
        } variants[] = {{"/reference", Path::Reference, 1}, {"/fast/1", Path::Fast, 1}, {"/fast/all", Path::Fast, allThreads}};
        for (const auto &v : variants) {
            auto *b = benchmark::RegisterBenchmark((name + v.suffix).c_str(), quantizeBench, t->type, v.path, v.threads)
                          ->Unit(benchmark::kMillisecond)
                          ->MinTime(0.2);
            // One thread: the thread's CPU time, which other load on a shared machine does not
            // inflate. Several threads: wall time, the only honest measure of parallel work.
            if (v.threads > 1) b->UseRealTime();
        }
    }
}

} // namespace

int main(int argc, char **argv) {
    registerAll();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
