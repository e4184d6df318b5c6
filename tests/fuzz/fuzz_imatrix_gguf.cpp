// libFuzzer target: the importance-matrix reader for the GGUF format (general.type "imatrix",
// per tensor <name>.in_sum2 and <name>.counts) on arbitrary bytes. Any input must give entries
// of finite, non-negative values or throw qb::Error; nothing else.
#include "importance_fuzz_check.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return checkImportanceReader([&] { return qb::ImportanceMatrix::parseGguf({data, size}, "fuzz"); });
}
