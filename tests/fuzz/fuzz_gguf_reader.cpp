// libFuzzer target: the GGUF reader on arbitrary bytes. Any input must either parse, with every
// tensor's data inside the buffer, or throw qb::Error; nothing else (crash, other exception, hang).
#include "error.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_json.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    try {
        const auto file = qb::GgufFile::parse({data, size}, "fuzz");
        for (const auto &kv : file->metadata()) {
            (void)kv.value.toDisplayString();
            (void)qb::toJson(kv.value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
        for (const auto &t : file->tensors()) {
            const auto bytes = file->tensorData(t);
            if (bytes.data() < data || bytes.data() + bytes.size() > data + size) std::abort();
        }
    } catch (const qb::Error &) {
    }
    return 0;
}
