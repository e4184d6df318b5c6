// IQ3/IQ4 family speed on one 512 x 256 tensor (the size of the golden rows), one thread:
// quantize without and with an importance vector, and dequantize.
#include "kernels/kernels.h"

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

namespace {

constexpr int64_t kRows = 512;
constexpr int64_t kCols = 256;

const std::vector<float> &weights() {
    static const std::vector<float> w = [] {
        std::vector<float> v(static_cast<size_t>(kRows * kCols));
        std::mt19937_64 rng(42);
        std::normal_distribution<float> normal(0.0f, 0.02f);
        std::uniform_real_distribution<float> scale(0.5f, 1.5f);
        for (float &x : v)
            x = normal(rng) / scale(rng);
        return v;
    }();
    return w;
}

const std::vector<float> &importance() {
    static const std::vector<float> imp = [] {
        std::vector<float> v(static_cast<size_t>(kCols));
        std::mt19937_64 rng(7);
        std::exponential_distribution<float> e(1.0f);
        for (float &x : v)
            x = e(rng);
        return v;
    }();
    return imp;
}

void quantize(benchmark::State &state, qb::GgmlType type, bool withImportance) {
    std::vector<uint8_t> out(size_t(kRows * qb::rowSizeBytes(type, kCols)));
    const float *imp = withImportance ? importance().data() : nullptr;
    for (auto _ : state) {
        qb::quantizeRows(type, weights().data(), out.data(), kRows, kCols, imp, 1);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * kRows * kCols);
}

void dequantize(benchmark::State &state, qb::GgmlType type) {
    std::vector<uint8_t> q(size_t(kRows * qb::rowSizeBytes(type, kCols)));
    qb::quantizeRows(type, weights().data(), q.data(), kRows, kCols, nullptr, 1);
    std::vector<float> back(weights().size());
    for (auto _ : state) {
        qb::dequantizeRows(type, q.data(), back.data(), kRows, kCols, 1);
        benchmark::DoNotOptimize(back.data());
    }
    state.SetItemsProcessed(state.iterations() * kRows * kCols);
}

} // namespace

#define QB_IQ3_BENCH(T)                                                                                                \
    BENCHMARK_CAPTURE(quantize, T, qb::GgmlType::T, false)->Unit(benchmark::kMillisecond);                             \
    BENCHMARK_CAPTURE(quantize, T##_imatrix, qb::GgmlType::T, true)->Unit(benchmark::kMillisecond);                    \
    BENCHMARK_CAPTURE(dequantize, T, qb::GgmlType::T)->Unit(benchmark::kMicrosecond);

QB_IQ3_BENCH(IQ3_XXS)
QB_IQ3_BENCH(IQ3_S)
QB_IQ3_BENCH(IQ4_NL)
QB_IQ3_BENCH(IQ4_XS)

BENCHMARK_MAIN();
