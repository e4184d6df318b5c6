// IQ2/IQ1 kernel speed on one thread: a 512 x 256 heavy-tailed tensor (the golden rows' shape)
// quantized by the fast path and by the scalar reference path, decoding, and the one-time
// construction of each codebook index.
#include "kernels/iq2/iq2_grid_index.h"
#include "kernels/kernels.h"

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

namespace {

constexpr int64_t kRows = 512;
constexpr int64_t kCols = 256;

struct Input {
    std::vector<float> weights;
    std::vector<float> importance;
};

const Input &input() {
    static const Input in = [] {
        Input d;
        std::mt19937_64 rng(42);
        std::student_t_distribution<float> heavy(4.f);
        std::exponential_distribution<float> e(1.0f);
        d.weights.resize(size_t(kRows * kCols));
        for (auto &v : d.weights) v = 0.02f * heavy(rng);
        d.importance.resize(size_t(kCols));
        for (auto &v : d.importance) v = e(rng);
        return d;
    }();
    return in;
}

void quantize(benchmark::State &state, qb::GgmlType type, bool reference) {
    const Input &in = input();
    std::vector<uint8_t> out(size_t(kRows * qb::rowSizeBytes(type, kCols)));
    qb::quantizeRows(type, in.weights.data(), out.data(), kRows, kCols, in.importance.data(), 1);  // builds the index
    for (auto _ : state) {
        if (reference)
            qb::quantizeRowsReference(type, in.weights.data(), out.data(), kRows, kCols, in.importance.data());
        else
            qb::quantizeRows(type, in.weights.data(), out.data(), kRows, kCols, in.importance.data(), 1);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * kRows * kCols);
}

void dequantize(benchmark::State &state, qb::GgmlType type) {
    const Input &in = input();
    std::vector<uint8_t> q(size_t(kRows * qb::rowSizeBytes(type, kCols)));
    qb::quantizeRows(type, in.weights.data(), q.data(), kRows, kCols, in.importance.data(), 1);
    std::vector<float> out(size_t(kRows * kCols));
    for (auto _ : state) {
        qb::dequantizeRows(type, q.data(), out.data(), kRows, kCols, 1);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * kRows * kCols);
}

void buildIndex(benchmark::State &state, qb::iq2::Codebook book, int nearest) {
    for (auto _ : state) {
        qb::iq2::GridIndex index(book, nearest);
        benchmark::DoNotOptimize(&index);
    }
}

} // namespace

#define QB_IQ2_BENCH(TYPE)                                                                              \
    BENCHMARK_CAPTURE(quantize, TYPE##_fast, qb::GgmlType::TYPE, false)->Unit(benchmark::kMillisecond);      \
    BENCHMARK_CAPTURE(quantize, TYPE##_reference, qb::GgmlType::TYPE, true)->Unit(benchmark::kMillisecond);  \
    BENCHMARK_CAPTURE(dequantize, TYPE, qb::GgmlType::TYPE)->Unit(benchmark::kMicrosecond);

QB_IQ2_BENCH(IQ2_XXS)
QB_IQ2_BENCH(IQ2_XS)
QB_IQ2_BENCH(IQ2_S)
QB_IQ2_BENCH(IQ1_S)
QB_IQ2_BENCH(IQ1_M)

BENCHMARK_CAPTURE(buildIndex, points256, qb::iq2::Codebook::Points256, 2)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(buildIndex, points512, qb::iq2::Codebook::Points512, 2)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(buildIndex, points1024, qb::iq2::Codebook::Points1024, 1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(buildIndex, points2048, qb::iq2::Codebook::Points2048, 3)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
