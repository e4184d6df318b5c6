#include "demo/demo_model.h"

#include "error.h"
#include "float_convert.h"
#include "gguf/gguf_writer.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace qb {
namespace {

struct DemoTensor {
    std::string name;
    int64_t cols, rows; // rows == 0: 1-D norm
};

std::vector<DemoTensor> demoTensors(const DemoModelSpec &s) {
    const int64_t headDim = s.embedding / s.heads;
    const int64_t kv = headDim * s.kvHeads;
    std::vector<DemoTensor> t{{"token_embd.weight", s.embedding, s.vocab}};
    for (int64_t l = 0; l < s.layers; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        t.push_back({p + "attn_norm.weight", s.embedding, 0});
        t.push_back({p + "attn_q.weight", s.embedding, s.embedding});
        t.push_back({p + "attn_k.weight", s.embedding, kv});
        t.push_back({p + "attn_v.weight", s.embedding, kv});
        t.push_back({p + "attn_output.weight", s.embedding, s.embedding});
        t.push_back({p + "ffn_norm.weight", s.embedding, 0});
        t.push_back({p + "ffn_gate.weight", s.embedding, s.feedForward});
        t.push_back({p + "ffn_up.weight", s.embedding, s.feedForward});
        t.push_back({p + "ffn_down.weight", s.feedForward, s.embedding});
    }
    t.push_back({"output_norm.weight", s.embedding, 0});
    t.push_back({"output.weight", s.embedding, s.vocab});
    return t;
}

// splitmix64: tiny, fast, and the same on every platform.
struct Random {
    uint64_t state;
    uint64_t next() {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    float uniform() { return float(next() >> 40) * (1.0f / 16777216.0f); } // [0, 1)
};

// Roughly normal (sum of four uniforms) with rare large outliers, like trained weights.
float weight(Random &r, float scale) {
    const float n = (r.uniform() + r.uniform() + r.uniform() + r.uniform() - 2.0f) * 1.7320508f;
    const bool outlier = (r.next() & 1023) == 0;
    return scale * n * (outlier ? 8.0f : 1.0f);
}

} // namespace

uint64_t DemoModelSpec::parameterCount() const {
    uint64_t n = 0;
    for (const auto &t : demoTensors(*this))
        n += uint64_t(t.cols * (t.rows ? t.rows : 1));
    return n;
}

uint64_t DemoModelSpec::approximateFileBytes() const {
    uint64_t n = 0;
    for (const auto &t : demoTensors(*this))
        n += t.rows ? uint64_t(t.cols * t.rows * 2) : uint64_t(t.cols * 4);
    return n;
}

DemoModelSpec demoSpecForSize(uint64_t targetBytes) {
    DemoModelSpec s;
    s.layers = 1;
    const uint64_t one = s.approximateFileBytes();
    s.layers = 2;
    const uint64_t perLayer = s.approximateFileBytes() - one;
    s.layers = targetBytes > one ? int64_t(1 + (targetBytes - one) / perLayer) : 1;
    return s;
}

uint64_t writeDemoModel(const std::filesystem::path &path, const DemoModelSpec &s) {
    if (s.embedding <= 0 || s.feedForward <= 0 || s.layers <= 0 || s.layers > 4096 || s.heads <= 0 || s.kvHeads <= 0 ||
        s.vocab <= 0 || s.embedding % s.heads != 0 || s.heads % s.kvHeads != 0 || s.embedding > (1 << 20) ||
        s.feedForward > (1 << 22) || s.vocab > (1 << 22))
        throw Error("demo model: inconsistent or too large dimensions");
    const auto tensors = demoTensors(s);
    auto u32 = [](int64_t v) { return GgufValue(uint32_t(v)); };
    std::vector<GgufKeyValue> meta = {
        {"general.architecture", GgufValue(std::string("llama"))},
        {"general.name", GgufValue(std::string("quantbench-demo"))},
        {"llama.context_length", u32(4096)},
        {"llama.embedding_length", u32(s.embedding)},
        {"llama.block_count", u32(s.layers)},
        {"llama.feed_forward_length", u32(s.feedForward)},
        {"llama.attention.head_count", u32(s.heads)},
        {"llama.attention.head_count_kv", u32(s.kvHeads)},
        {"llama.attention.layer_norm_rms_epsilon", GgufValue(1e-5f)},
        {"llama.rope.dimension_count", u32(s.embedding / s.heads)},
        {"general.file_type", u32(1)},
    };
    std::vector<GgufTensorPlan> plans;
    for (const auto &t : tensors) {
        GgufTensorPlan p;
        p.name = t.name;
        p.type = t.rows ? GgmlType::F16 : GgmlType::F32;
        p.nDims = t.rows ? 2 : 1;
        p.ne = {t.cols, t.rows ? t.rows : 1, 1, 1};
        plans.push_back(p);
    }
    GgufWriter writer(path, std::move(meta), std::move(plans));
    std::vector<uint8_t> buffer;
    for (size_t i = 0; i < tensors.size(); ++i) {
        const auto &t = tensors[i];
        Random r{s.seed * 0x100000001B3ull + i};
        if (!t.rows) {
            buffer.resize(size_t(t.cols) * 4);
            for (int64_t j = 0; j < t.cols; ++j) {
                const float v = 1.0f + 0.1f * weight(r, 1.0f);
                std::memcpy(buffer.data() + 4 * j, &v, 4);
            }
        } else {
            const size_t n = size_t(t.cols * t.rows);
            buffer.resize(n * 2);
            const float scale = 1.0f / std::sqrt(float(t.cols));
            auto *out = reinterpret_cast<uint16_t *>(buffer.data());
            for (size_t j = 0; j < n; ++j)
                out[j] = fp32ToFp16(weight(r, scale));
        }
        writer.writeTensor(buffer);
    }
    writer.commit();
    return writer.fileSize();
}

} // namespace qb
