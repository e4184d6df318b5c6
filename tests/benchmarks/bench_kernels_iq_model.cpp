// IQ and TQ quantization speed on the weights a whole-model run sees, one thread, so that
// (elements of a type in a model) / (items per second here) / (threads) predicts the wall time of
// `quantbench-cli quantize` on that model. The older bench_kernels_iq2/iq3 feed Gaussian rows of
// 256: their figures were ten times the whole-model rate (issue #20), because the search cost of
// the IQ kernels depends on the distribution (outliers push most weights into few levels and
// off the grid) and on the importance path.
//
// Input: heavy-tailed rows like make-model's (core/demo: Student-t with 4 degrees of freedom,
// scaled by 0.6 / sqrt(cols), a per-row gain 0.5-1.5 and about 1 in 64 columns scaled 6-20x),
// rounded through F16 as the model stores them; row lengths 1024 (attention, FFN gate/up),
// 2816 (FFN down of the benchmark model) and 14336 (FFN down of an 8B model); about 1 M
// elements per case. The importance vector follows tests/cli/make_imatrix.py, the file
// packaging/bench-quantize.sh -i hands to both quantizers. Types that cannot run without
// importance data (IQ2_XXS, IQ2_XS, IQ1_S, IQ1_M) are measured with it only.
//
// Rates are items per CPU second of the benchmark thread (Google Benchmark's default), which
// other load on a shared machine inflates less than wall time.
#include "float_convert.h"
#include "ggml_types.h"
#include "kernels/kernels.h"

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
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

const std::vector<float> &weights(int64_t cols) {
    static std::map<int64_t, std::vector<float>> cache;
    auto [it, fresh] = cache.try_emplace(cols);
    if (!fresh) return it->second;
    const int64_t rows = rowsFor(cols);
    uint64_t s = 0x5eedull * uint64_t(cols);
    std::vector<double> columnGain(size_t(cols), 1.0);
    for (double &g : columnGain)
        if (mix64(s) % 64 == 0) g = 6.0 + 14.0 * uniform(s);
    const double scale = 0.6 / std::sqrt(double(cols));
    std::vector<float> &w = it->second;
    w.resize(size_t(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
        const double rowGain = 0.5 + uniform(s);
        for (int64_t c = 0; c < cols; ++c)
            w[size_t(r * cols + c)] =
                qb::fp16ToFp32(qb::fp32ToFp16(float(studentT4(s) * scale * rowGain * columnGain[size_t(c)])));
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
    const std::vector<float> &w = weights(cols);
    const float *imp = withImportance ? importance(cols).data() : nullptr;
    std::vector<uint8_t> out(size_t(rows * qb::rowSizeBytes(type, cols)));
    for (auto _ : state) {
        qb::quantizeRows(type, w.data(), out.data(), rows, cols, imp, 1);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * rows * cols);
}

const bool registered = [] {
    const qb::GgmlType types[] = {qb::GgmlType::IQ1_S,   qb::GgmlType::IQ1_M,  qb::GgmlType::IQ2_XXS,
                                  qb::GgmlType::IQ2_XS,  qb::GgmlType::IQ2_S,  qb::GgmlType::IQ3_XXS,
                                  qb::GgmlType::IQ3_S,   qb::GgmlType::IQ4_NL, qb::GgmlType::IQ4_XS,
                                  qb::GgmlType::TQ1_0,   qb::GgmlType::TQ2_0};
    for (qb::GgmlType type : types)
        for (int64_t cols : {1024, 2816, 14336})
            for (bool imp : {false, true}) {
                if (!imp && qb::needsImportance(type)) continue;
                const std::string name = std::string("quantize/") + qb::typeName(type) + "/" + std::to_string(cols) +
                                         (imp ? "/imatrix" : "/plain");
                benchmark::RegisterBenchmark(name.c_str(), quantize, type, cols, imp)->Unit(benchmark::kMillisecond);
            }
    return true;
}();

} // namespace

BENCHMARK_MAIN();
