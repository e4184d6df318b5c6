// Replays inputs through a libFuzzer target's entry point without libFuzzer: built with the
// normal compiler and flags (tests/CMakeLists.txt), so committed crash inputs in
// tests/fuzz/regressions/<target>/ are run by every ctest phase, sanitizers included.
// Usage: replay_<target> FOLDER... (every regular file, in name order). Exits 0 when every input
// returned, 1 when a folder is missing or empty; a crash, abort or escaping exception ends the
// process as it would the fuzzer, which CTest reports as a failure.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
    namespace fs = std::filesystem;
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FOLDER...\n", argv[0]);
        return 1;
    }
    for (int a = 1; a < argc; ++a) {
        std::error_code ec;
        std::vector<fs::path> files;
        for (const auto &entry : fs::directory_iterator(argv[a], ec))
            if (entry.is_regular_file()) files.push_back(entry.path());
        if (ec || files.empty()) {
            // An empty folder would make the test pass without replaying anything.
            std::fprintf(stderr, "%s: no inputs to replay (%s)\n", argv[a], ec ? ec.message().c_str() : "empty");
            return 1;
        }
        std::sort(files.begin(), files.end());
        for (const fs::path &file : files) {
            std::ifstream in(file, std::ios::binary);
            const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            if (!in.good() && !in.eof()) {
                std::fprintf(stderr, "%s: cannot read\n", file.c_str());
                return 1;
            }
            std::printf("replay %s (%zu bytes)\n", file.c_str(), bytes.size());
            std::fflush(stdout);  // the last line names the input if the target crashes
            // A non-null pointer for empty input, as libFuzzer passes.
            static const uint8_t kEmpty = 0;
            LLVMFuzzerTestOneInput(bytes.empty() ? &kEmpty : reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
        }
        std::printf("%zu inputs from %s replayed\n", files.size(), argv[a]);
    }
    return 0;
}
