// K-quant quantization speed on one thread: the fast path (quantizeRows) beside the plain
// scalar reference (quantizeRowsReference) for Q2_K..Q6_K, without and with importance data.
// Both produce identical bytes (tst_kernels_rows, tst_kernels_kquant); compare the CPU
// columns (items_per_second = elements per second). Target: fast >= 3x reference.
#include "kernels/kernels.h"

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

namespace {

constexpr int64_t kRows = 64;
constexpr int64_t kCols = 4096;

struct Input {
    std::vector<float> weights;
    std::vector<float> importance;
};

// Heavy-tailed weights and a skewed importance vector, built once.
const Input &input() {
    static const Input in = [] {
        Input d;
        std::mt19937 rng(42);
        std::student_t_distribution<float> t(4.f);
        std::uniform_real_distribution<float> u(0.01f, 4.f);
        d.weights.resize(static_cast<size_t>(kRows * kCols));
        for (float &v : d.weights) v = 0.02f * t(rng);
        d.importance.resize(static_cast<size_t>(kCols));
        for (float &v : d.importance) v = u(rng) * u(rng);
        return d;
    }();
    return in;
}

void quantizeK(benchmark::State &state, qb::GgmlType type, bool withImportance, bool reference) {
    const Input &in = input();
    const float *importance = withImportance ? in.importance.data() : nullptr;
    std::vector<uint8_t> out(static_cast<size_t>(kRows * qb::rowSizeBytes(type, kCols)));
    for (auto _ : state) {
        if (reference)
            qb::quantizeRowsReference(type, in.weights.data(), out.data(), kRows, kCols, importance);
        else
            qb::quantizeRows(type, in.weights.data(), out.data(), kRows, kCols, importance, 1);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * kRows * kCols);
}

#define QB_BENCH_KQUANT(T)                                                                        \
    BENCHMARK_CAPTURE(quantizeK, T##_reference, qb::GgmlType::T, false, true);                    \
    BENCHMARK_CAPTURE(quantizeK, T##_fast, qb::GgmlType::T, false, false);                        \
    BENCHMARK_CAPTURE(quantizeK, T##_imatrix_reference, qb::GgmlType::T, true, true);             \
    BENCHMARK_CAPTURE(quantizeK, T##_imatrix_fast, qb::GgmlType::T, true, false)

QB_BENCH_KQUANT(Q2_K);
QB_BENCH_KQUANT(Q3_K);
QB_BENCH_KQUANT(Q4_K);
QB_BENCH_KQUANT(Q5_K);
QB_BENCH_KQUANT(Q6_K);

} // namespace

BENCHMARK_MAIN();
