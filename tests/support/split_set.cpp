#include "split_set.h"

#include "gguf/gguf_writer.h"

#include <algorithm>
#include <cstdio>

namespace qbtest {

std::string splitPartName(const std::string &stem, int no, int count) {
    char suffix[48];
    std::snprintf(suffix, sizeof suffix, "-%05d-of-%05d.gguf", no, count);
    return stem + suffix;
}

std::vector<std::filesystem::path> writeSplitSet(const qb::GgufFile &source, const std::filesystem::path &dir,
                                                 const std::string &stem, int count, const SplitDefect &defect) {
    const auto &tensors = source.tensors();
    std::vector<std::filesystem::path> paths;
    const size_t perPart = (tensors.size() + size_t(count) - 1) / size_t(count);
    const int totalTensors = int(tensors.size()) + defect.tensorsCountDelta + (defect.duplicateInto >= 0 ? 1 : 0);
    for (int part = 0; part < count; ++part) {
        std::vector<const qb::GgufTensorInfo *> mine;
        for (size_t i = size_t(part) * perPart; i < std::min(tensors.size(), size_t(part + 1) * perPart); ++i)
            mine.push_back(&tensors[i]);
        if (part == defect.duplicateInto) mine.push_back(&tensors.front());

        std::vector<qb::GgufKeyValue> kv;
        if (part == 0) kv = source.metadata();
        kv.push_back({"split.no", qb::GgufValue(uint16_t(part + (part == defect.badNoPart ? 1 : 0)))});
        kv.push_back({"split.count", qb::GgufValue(uint16_t(count + (part == defect.badCountPart ? 1 : 0)))});
        kv.push_back({"split.tensors.count", qb::GgufValue(int32_t(totalTensors))});

        std::vector<qb::GgufTensorPlan> plans;
        for (const auto *t : mine) plans.push_back({t->name, t->type, t->nDims, t->ne});
        paths.push_back(dir / splitPartName(stem, part + 1, count));
        qb::GgufWriter writer(paths.back(), std::move(kv), std::move(plans));
        for (const auto *t : mine) writer.writeTensor(source.tensorData(*t));
        writer.commit();
    }
    return paths;
}

} // namespace qbtest
