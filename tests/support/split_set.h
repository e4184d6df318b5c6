// Test helper: writes a GGUF model as a split set the way llama.cpp's gguf-split does
// (<stem>-0000i-of-0000N.gguf; split.no u16 0-based, split.count u16, split.tensors.count i32;
// the full metadata in part 1 only), optionally with one defect for error tests.
#pragma once

#include "gguf/gguf_file.h"

#include <filesystem>
#include <string>
#include <vector>

namespace qbtest {

struct SplitDefect {
    int badCountPart = -1;      // this part (0-based) says split.count + 1
    int badNoPart = -1;         // this part says split.no + 1
    int duplicateInto = -1;     // this part also holds the first tensor of part 0
    int tensorsCountDelta = 0;  // added to split.tensors.count in every part
};

// File name of part `no` (1-based) of `count`.
std::string splitPartName(const std::string &stem, int no, int count);

// Writes source's tensors, in order, into `count` parts of about equal tensor count; returns their paths.
std::vector<std::filesystem::path> writeSplitSet(const qb::GgufFile &source, const std::filesystem::path &dir,
                                                 const std::string &stem, int count, const SplitDefect &defect = {});

} // namespace qbtest
