// libFuzzer target: the preset loader (MixPreset::fromJson) on arbitrary text, then what a
// loaded preset is used for: it saves and loads back identically (the header's promise), exports
// a llama-quantize command, and decides the mix of a real model (every pattern compiled and
// searched in every tensor name). Any input must work or throw qb::Error; nothing else (crash,
// other exception, hang, huge memory).
#include "error.h"
#include "gguf/gguf_model.h"
#include "mix/mix_rules.h"
#include "mix/preset.h"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

const qb::GgufModel &model() {
    static const auto m = qb::GgufModel::open(std::string(QB_GOLDEN_DIR) + "/models/tiny.f16.gguf");
    return *m;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string text(reinterpret_cast<const char *>(data), size);
    try {
        const qb::MixPreset preset = qb::MixPreset::fromJson(text, "fuzz");
        const std::string saved = preset.toJson();
        if (qb::MixPreset::fromJson(saved, "saved").toJson() != saved) std::abort();
        (void)preset.toLlamaQuantizeCommand("in.gguf", "out.gguf", 2);
        (void)qb::decideMix(model(), preset.label(), preset.toOptions(), nullptr);
    } catch (const qb::Error &) {
    }
    return 0;
}
