// quantbench-cli inspect FILE [--json]: metadata, tensor table and totals of a GGUF model.
#include "commands.h"
#include "ggml_types.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_json.h"

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

Totals totalsOf(const qb::GgufFile &file) {
    Totals t;
    for (const auto &info : file.tensors()) {
        t.parameters += uint64_t(info.elements());
        t.tensorBytes += info.nbytes;
    }
    return t;
}

void printHuman(const qb::GgufFile &file) {
    std::printf("%s: GGUF v%u, %llu bytes, alignment %llu, data at byte %llu\n", file.sourceName().c_str(),
                file.version(), (unsigned long long)file.fileSize(), (unsigned long long)file.alignment(),
                (unsigned long long)file.dataOffset());
    std::printf("\nMetadata (%zu keys)\n", file.metadata().size());
    for (const auto &kv : file.metadata())
        std::printf("  %-44s %-10s %s\n", kv.key.c_str(), qb::typeDescription(kv.value).c_str(),
                    kv.value.toDisplayString().c_str());

    std::printf("\nTensors (%zu)\n", file.tensors().size());
    std::printf("  %-40s %-8s %-24s %14s %14s\n", "name", "type", "shape", "bytes", "offset");
    for (const auto &t : file.tensors())
        std::printf("  %-40s %-8s %-24s %14llu %14llu\n", t.name.c_str(), qb::typeName(t.type),
                    shapeString(t).c_str(), (unsigned long long)t.nbytes,
                    (unsigned long long)(file.dataOffset() + t.offset));

    const Totals totals = totalsOf(file);
    std::printf("\n%zu tensors, %llu parameters, %llu bytes of tensor data, %.4f bits per weight, file %llu bytes\n",
                file.tensors().size(), (unsigned long long)totals.parameters, (unsigned long long)totals.tensorBytes,
                totals.bitsPerWeight(), (unsigned long long)file.fileSize());
}

nlohmann::json toJsonDocument(const qb::GgufFile &file) {
    nlohmann::json doc;
    doc["file"] = file.sourceName();
    doc["file_size"] = file.fileSize();
    doc["version"] = file.version();
    doc["alignment"] = file.alignment();
    doc["data_offset"] = file.dataOffset();
    nlohmann::json metadata = nlohmann::json::array();
    for (const auto &kv : file.metadata())
        metadata.push_back({{"key", kv.key}, {"type", qb::typeDescription(kv.value)}, {"value", qb::toJson(kv.value)}});
    doc["metadata"] = std::move(metadata);
    nlohmann::json tensors = nlohmann::json::array();
    for (const auto &t : file.tensors()) {
        nlohmann::json shape = nlohmann::json::array();
        for (uint32_t d = 0; d < t.nDims; ++d) shape.push_back(t.ne[d]);
        tensors.push_back({{"name", t.name},
                           {"type", qb::typeName(t.type)},
                           {"shape", shape},
                           {"parameters", t.elements()},
                           {"bytes", t.nbytes},
                           {"offset", file.dataOffset() + t.offset}});
    }
    doc["tensors"] = std::move(tensors);
    const Totals totals = totalsOf(file);
    doc["totals"] = {{"tensors", file.tensors().size()},
                     {"parameters", totals.parameters},
                     {"tensor_bytes", totals.tensorBytes},
                     {"bits_per_weight", totals.bitsPerWeight()}};
    return doc;
}

int runInspect(const InspectOptions &opts) {
    const auto file = qb::GgufFile::open(opts.path);
    if (opts.json) {
        const std::string text = toJsonDocument(*file).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
        std::printf("%s\n", text.c_str());
    } else {
        printHuman(*file);
    }
    return 0;
}

} // namespace

void addInspectCommand(CLI::App &app, CommandAction &action) {
    auto opts = std::make_shared<InspectOptions>();
    CLI::App *cmd = app.add_subcommand("inspect", "Show a GGUF model's metadata, tensors and totals");
    cmd->add_option("FILE", opts->path, "GGUF file")->required();
    cmd->add_flag("--json", opts->json, "Print one JSON document instead of text");
    cmd->callback([opts, &action] { action = [opts] { return runInspect(*opts); }; });
}

} // namespace qbcli
