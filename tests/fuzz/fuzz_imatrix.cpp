// libFuzzer target: the importance-matrix reader (legacy .dat) on arbitrary bytes.
#include "importance_fuzz_check.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return checkImportanceReader([&] { return qb::ImportanceMatrix::parseLegacy({data, size}, "fuzz"); });
}
