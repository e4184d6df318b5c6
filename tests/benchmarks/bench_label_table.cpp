// The size-against-quality table of every label for a 1 B-parameter F16 model, preview mode.
// Target: under a minute on a 2-core machine.
//
// The model is llama-shaped like TinyLlama 1.1B (22 layers, n_embd 2048, n_ff 5632, 32 heads /
// 4 kv heads, vocabulary 32000; 1.1 G parameters, 2.2 GB): written once with GgufWriter to
// $QB_BENCH_1B (default /tmp/qb_bench_1b.gguf) if missing, with heavy-tailed random weights, and
// deleted at exit unless QB_BENCH_KEEP=1 (to time `quantbench-cli analyze --labels all` on it).
// Two runs: without an importance matrix (the labels that need one are skipped, as quantize
// refuses them) and with a synthetic one (every label computed, the IQ1/IQ2 kernels included).
// Counters: cpu_s is the process's CPU time over all threads during the table, so load from
// other processes, which stretches wall time, can be told apart from the work itself.
#include "analysis/label_table.h"
#include "float_convert.h"
#include "synthetic_weights.h"
#include "gguf/gguf_model.h"
#include "gguf/gguf_writer.h"

#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr int64_t kLayers = 22, kEmbd = 2048, kFf = 5632, kHeads = 32, kKvHeads = 4, kVocab = 32000;

std::filesystem::path modelPath() {
    const char *p = std::getenv("QB_BENCH_1B");
    return p && *p ? std::filesystem::path(p) : std::filesystem::path("/tmp/qb_bench_1b.gguf");
}

void writeModel(const std::filesystem::path &path) {
    using qb::GgufValue;
    std::vector<qb::GgufKeyValue> metadata{
        {"general.architecture", GgufValue(std::string("llama"))},
        {"general.name", GgufValue(std::string("QuantBench 1B benchmark model"))},
        {"general.file_type", GgufValue(uint32_t(1))},
        {"llama.block_count", GgufValue(uint32_t(kLayers))},
        {"llama.context_length", GgufValue(uint32_t(2048))},
        {"llama.embedding_length", GgufValue(uint32_t(kEmbd))},
        {"llama.feed_forward_length", GgufValue(uint32_t(kFf))},
        {"llama.attention.head_count", GgufValue(uint32_t(kHeads))},
        {"llama.attention.head_count_kv", GgufValue(uint32_t(kKvHeads))},
        {"llama.vocab_size", GgufValue(uint32_t(kVocab))},
    };
    std::vector<qb::GgufTensorPlan> plan;
    auto add = [&](const std::string &name, int64_t ne0, int64_t ne1) {
        qb::GgufTensorPlan t;
        t.name = name;
        t.type = ne1 > 1 ? qb::GgmlType::F16 : qb::GgmlType::F32;
        t.nDims = ne1 > 1 ? 2 : 1;
        t.ne = {ne0, ne1, 1, 1};
        plan.push_back(t);
    };
    add("token_embd.weight", kEmbd, kVocab);
    add("output_norm.weight", kEmbd, 1);
    add("output.weight", kEmbd, kVocab);
    const int64_t kvWidth = kEmbd / kHeads * kKvHeads;
    for (int64_t l = 0; l < kLayers; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        add(p + "attn_norm.weight", kEmbd, 1);
        add(p + "attn_q.weight", kEmbd, kEmbd);
        add(p + "attn_k.weight", kEmbd, kvWidth);
        add(p + "attn_v.weight", kEmbd, kvWidth);
        add(p + "attn_output.weight", kEmbd, kEmbd);
        add(p + "ffn_norm.weight", kEmbd, 1);
        add(p + "ffn_gate.weight", kEmbd, kFf);
        add(p + "ffn_up.weight", kEmbd, kFf);
        add(p + "ffn_down.weight", kFf, kEmbd);
    }
    qb::GgufWriter writer(path, metadata, plan);
    std::vector<uint16_t> half;
    std::vector<float> ones;
    for (size_t t = 0; t < plan.size(); ++t) {
        const int64_t n = plan[t].ne[0], rows = plan[t].ne[1];
        if (plan[t].type == qb::GgmlType::F32) {
            ones.assign(size_t(n), 1.0f);  // norms: ones, as freshly initialised
            writer.writeTensor({reinterpret_cast<const uint8_t *>(ones.data()), ones.size() * 4});
            continue;
        }
        half.resize(size_t(n * rows));
#pragma omp parallel for schedule(static)
        for (int64_t r = 0; r < rows; ++r) qbtest::fillRow(half.data() + r * n, n, (uint64_t(t) << 32) + uint64_t(r));
        writer.writeTensor({reinterpret_cast<const uint8_t *>(half.data()), half.size() * 2});
    }
    writer.commit();
}

// Process CPU time (user + system, all threads) in seconds.
double processCpuSeconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// An importance matrix for every 2-D tensor: exponentially distributed column weights, written
// in the legacy .dat layout and parsed like a file (call count 1, no trailer).
std::shared_ptr<const qb::ImportanceMatrix> syntheticImatrix(const qb::GgufModel &model) {
    std::vector<uint8_t> bytes;
    auto put = [&](const void *p, size_t n) {
        bytes.insert(bytes.end(), static_cast<const uint8_t *>(p), static_cast<const uint8_t *>(p) + n);
    };
    auto putInt = [&](int32_t v) { put(&v, 4); };
    int32_t count = 0;
    for (const auto &t : model.tensors()) count += t.info->nDims >= 2 ? 1 : 0;
    putInt(count);
    uint64_t s = 12345;
    for (const auto &t : model.tensors()) {
        if (t.info->nDims < 2) continue;
        putInt(int32_t(t.info->name.size()));
        put(t.info->name.data(), t.info->name.size());
        putInt(1);
        putInt(int32_t(t.info->ne[0]));
        for (int64_t i = 0; i < t.info->ne[0]; ++i) {
            s = qbtest::mix64(s);
            const float v = float(-std::log((double(s >> 11) + 0.5) * 0x1.0p-53));
            put(&v, 4);
        }
    }
    return std::make_shared<const qb::ImportanceMatrix>(qb::ImportanceMatrix::parseLegacy(bytes, "synthetic"));
}

// Where the time went: the analyses' own seconds (each on one thread), summed per candidate type.
void printTypeBreakdown(const qb::ModelAnalyzer &analyzer) {
    std::map<std::string, std::pair<int, double>> perType;
    for (size_t t = 0; t < analyzer.model().tensors().size(); ++t)
        for (const qb::TypeTraits *tt = qb::allTypesBegin(); tt != qb::allTypesEnd(); ++tt)
            if (const auto a = analyzer.cached(t, tt->type, 0)) {
                perType[tt->name].first += 1;
                perType[tt->name].second += a->seconds;
            }
    std::fprintf(stderr, "analysis seconds per type (pairs):");
    for (const auto &[name, v] : perType) std::fprintf(stderr, " %s %.1f (%d)", name.c_str(), v.second, v.first);
    std::fprintf(stderr, "\n");
}

void labelTable(benchmark::State &state) {
    const std::shared_ptr<const qb::GgufModel> model = qb::GgufModel::open(modelPath());
    uint64_t params = 0;
    for (const auto &t : model->tensors()) params += uint64_t(t.info->elements());
    const int threads = int(state.range(0));
    const auto imatrix = state.range(1) ? syntheticImatrix(*model) : nullptr;
    double cpu = 0;
    for (auto _ : state) {
        qb::ModelAnalyzer analyzer(model, imatrix);  // fresh: nothing cached
        const double cpuStart = processCpuSeconds();
        const qb::LabelTable table = qb::buildLabelTable(analyzer, qb::tableLabels(), qb::QuantizeOptions{},
                                                         qb::AnalysisMode::Preview, threads);
        state.counters["labels"] = double(table.rows.size());
        state.counters["skipped"] = double(table.skipped.size());
        state.counters["pairs"] = double(table.distinctPairs);
        state.counters["computed"] = double(table.pairsComputed);
        cpu += processCpuSeconds() - cpuStart;
        printTypeBreakdown(analyzer);
    }
    state.counters["cpu_s"] = cpu / double(state.iterations());
    state.counters["Gparams"] = double(params) / 1e9;
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) == 3) state.counters["load1"] = load[0];
}

} // namespace

int main(int argc, char **argv) {
    const std::filesystem::path path = modelPath();
    const bool created = !std::filesystem::exists(path);
    if (created) {
        std::fprintf(stderr, "writing %s ...\n", path.c_str());
        writeModel(path);
    }
    benchmark::RegisterBenchmark("labelTable/preview/all_labels", labelTable)
        ->ArgNames({"threads", "imatrix"})
        ->Args({2, 0})
        ->Args({2, 1})
        ->Unit(benchmark::kSecond)
        ->Iterations(1)
        ->UseRealTime();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    const char *keep = std::getenv("QB_BENCH_KEEP");
    if (created && !(keep && std::string(keep) == "1")) std::filesystem::remove(path);
    return 0;
}
