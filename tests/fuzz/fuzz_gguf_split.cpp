// libFuzzer target: the split-set loader (GgufModel::open) on two arbitrary files.
// Input layout: a little-endian u16 whose low 15 bits say where part 1 ends and whose top bit
// picks the part that is opened, then the bytes of part 1 followed by part 2. The parts are
// written as m-00001-of-00002.gguf and m-00002-of-00002.gguf in a private folder (in /dev/shm
// when it exists, so the fuzzer is not slowed by a disk). Any input must give a model whose
// tensors all lie inside their part, or qb::Error; nothing else.
#include "error.h"
#include "gguf/gguf_model.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;

const fs::path &workFolder() {
    static const fs::path folder = [] {
        std::string base = fs::exists("/dev/shm") ? "/dev/shm" : fs::temp_directory_path().string();
        std::string pattern = base + "/qb-fuzz-split-XXXXXX";
        if (!::mkdtemp(pattern.data())) std::abort();
        // Remove the folder when the fuzzer exits normally.
        std::atexit([] { std::error_code ec; fs::remove_all(workFolder(), ec); });
        return fs::path(pattern);
    }();
    return folder;
}

void writeFile(const fs::path &path, const uint8_t *data, size_t size) {
    FILE *f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    if (size && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    const unsigned control = unsigned(data[0]) | unsigned(data[1]) << 8;
    data += 2;
    size -= 2;
    const size_t cut = std::min<size_t>(control & 0x7fff, size);
    const fs::path first = workFolder() / "m-00001-of-00002.gguf";
    const fs::path second = workFolder() / "m-00002-of-00002.gguf";
    writeFile(first, data, cut);
    writeFile(second, data + cut, size - cut);
    try {
        const auto model = qb::GgufModel::open(control & 0x8000 ? second : first);
        for (const auto &t : model->tensors()) {
            const qb::GgufFile &part = model->split(t.split);
            if (part.dataOffset() + t.info->offset + t.info->nbytes > part.fileSize()) std::abort();
            if (model->tensorData(t).size() != t.info->nbytes) std::abort();
        }
        (void)model->parameterCount();
        (void)model->tensorBytes();
    } catch (const qb::Error &) {
    }
    return 0;
}
