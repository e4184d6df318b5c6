// quantbench-cli inspect FILE [--json]: metadata, tensor table and totals of a GGUF model.
// FILE may be any part of a split set: the whole set is shown (all tensors, every part).
#include "commands.h"
#include "ggml_types.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_json.h"
#include "gguf/gguf_model.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace qbcli {
namespace {

struct InspectOptions {
    std::string path;
    bool json = false;
};

std::string shapeString(const qb::GgufTensorInfo &t) {
    std::string s;
    for (uint32_t d = 0; d < t.nDims; ++d) s += (d ? " x " : "") + std::to_string(t.ne[d]);
    return s;
}

struct Totals {
    uint64_t parameters = 0;
    uint64_t tensorBytes = 0;
    double bitsPerWeight() const { return parameters ? 8.0 * double(tensorBytes) / double(parameters) : 0.0; }
};

Totals totalsOf(const qb::GgufModel &model) { return {model.parameterCount(), model.tensorBytes()}; }

// Offsets are absolute within the part that holds the tensor.
uint64_t absoluteOffset(const qb::GgufModel &model, const qb::GgufModel::Tensor &t) {
    return model.split(t.split).dataOffset() + t.info->offset;
}

void printHuman(const qb::GgufModel &model) {
    const bool split = model.splitCount() > 1;
    if (split)
        std::printf("Split set of %zu files, %llu bytes in total\n", model.splitCount(),
                    (unsigned long long)model.totalFileSize());
    for (size_t s = 0; s < model.splitCount(); ++s) {
        const qb::GgufFile &file = model.split(s);
        std::printf("%s%s: GGUF v%u, %llu bytes, %zu tensors, alignment %llu, data at byte %llu\n",
                    split ? ("  part " + std::to_string(s + 1) + " ").c_str() : "", file.sourceName().c_str(),
                    file.version(), (unsigned long long)file.fileSize(), file.tensors().size(),
                    (unsigned long long)file.alignment(), (unsigned long long)file.dataOffset());
    }
    std::printf("\nMetadata (%zu keys%s)\n", model.metadata().size(), split ? ", from part 1" : "");
    for (const auto &kv : model.metadata())
        std::printf("  %-44s %-10s %s\n", kv.key.c_str(), qb::typeDescription(kv.value).c_str(),
                    kv.value.toDisplayString().c_str());

    std::printf("\nTensors (%zu)\n", model.tensors().size());
    std::printf("  %-40s %-8s %-24s %14s %14s%s\n", "name", "type", "shape", "bytes", "offset", split ? "  part" : "");
    for (const auto &t : model.tensors()) {
        std::printf("  %-40s %-8s %-24s %14llu %14llu", t.info->name.c_str(), qb::typeName(t.info->type),
                    shapeString(*t.info).c_str(), (unsigned long long)t.info->nbytes,
                    (unsigned long long)absoluteOffset(model, t));
        if (split) std::printf("  %4zu", t.split + 1);
        std::printf("\n");
    }

    const Totals totals = totalsOf(model);
    std::printf("\n%zu tensors, %llu parameters, %llu bytes of tensor data, %.4f bits per weight, %s %llu bytes\n",
                model.tensors().size(), (unsigned long long)totals.parameters, (unsigned long long)totals.tensorBytes,
                totals.bitsPerWeight(), split ? (std::to_string(model.splitCount()) + " files,").c_str() : "file",
                (unsigned long long)model.totalFileSize());
}

nlohmann::json toJsonDocument(const qb::GgufModel &model) {
    const qb::GgufFile &primary = model.primary();
    nlohmann::json doc;
    doc["file"] = primary.sourceName();
    doc["file_size"] = model.totalFileSize();
    doc["version"] = primary.version();
    doc["alignment"] = primary.alignment();
    doc["data_offset"] = primary.dataOffset();
    doc["split_count"] = model.splitCount();
    nlohmann::json splits = nlohmann::json::array();
    for (size_t s = 0; s < model.splitCount(); ++s) {
        const qb::GgufFile &file = model.split(s);
        splits.push_back({{"file", file.sourceName()},
                          {"file_size", file.fileSize()},
                          {"version", file.version()},
                          {"alignment", file.alignment()},
                          {"data_offset", file.dataOffset()},
                          {"tensors", file.tensors().size()}});
    }
    doc["splits"] = std::move(splits);
    nlohmann::json metadata = nlohmann::json::array();
    for (const auto &kv : model.metadata())
        metadata.push_back({{"key", kv.key}, {"type", qb::typeDescription(kv.value)}, {"value", qb::toJson(kv.value)}});
    doc["metadata"] = std::move(metadata);
    nlohmann::json tensors = nlohmann::json::array();
    for (const auto &t : model.tensors()) {
        nlohmann::json shape = nlohmann::json::array();
        for (uint32_t d = 0; d < t.info->nDims; ++d) shape.push_back(t.info->ne[d]);
        tensors.push_back({{"name", t.info->name},
                           {"type", qb::typeName(t.info->type)},
                           {"shape", shape},
                           {"parameters", t.info->elements()},
                           {"bytes", t.info->nbytes},
                           {"offset", absoluteOffset(model, t)},
                           {"split", t.split}});
    }
    doc["tensors"] = std::move(tensors);
    const Totals totals = totalsOf(model);
    doc["totals"] = {{"tensors", model.tensors().size()},
                     {"parameters", totals.parameters},
                     {"tensor_bytes", totals.tensorBytes},
                     {"bits_per_weight", totals.bitsPerWeight()},
                     {"files", model.splitCount()},
                     {"file_size", model.totalFileSize()}};
    return doc;
}

int runInspect(const InspectOptions &opts) {
    const auto model = qb::GgufModel::open(opts.path);
    if (opts.json) {
        const std::string text = toJsonDocument(*model).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
        std::printf("%s\n", text.c_str());
    } else {
        printHuman(*model);
    }
    return 0;
}

} // namespace

void addInspectCommand(CLI::App &app, CommandAction &action) {
    auto opts = std::make_shared<InspectOptions>();
    CLI::App *cmd = app.add_subcommand("inspect", "Show a GGUF model's metadata, tensors and totals");
    cmd->add_option("FILE", opts->path, "GGUF file, or any part of a split set")->required();
    cmd->add_flag("--json", opts->json, "Print one JSON document instead of text");
    cmd->callback([opts, &action] { action = [opts] { return runInspect(*opts); }; });
}

} // namespace qbcli
