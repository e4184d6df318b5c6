// Shared by the mix tests: every llama-quantize run that ../shared/golden/status.json records
// (mixes/<model>/<LABEL>[.imatrix] and pure/<LABEL>[.imatrix]), with the inputs and the
// expected result of each, so each test can replay them all as data rows.
#pragma once

#include "golden.h"

#include "gguf/gguf_file.h"
#include "gguf/gguf_value.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

namespace qbtest {

struct ExpectedTensor {
    std::string name;
    std::string type; // upper-case ggml name, as in the manifests
    std::vector<int64_t> shape;
    std::string sha256; // empty for pure runs (compare the file's bytes instead)
};

struct GoldenRun {
    std::string key;   // status.json key
    std::string model; // relative to the golden folder
    std::string label;
    std::string imatrix; // relative path, empty for none
    bool pure = false;
    std::string status;   // "ok..." or "refused..."
    std::string expected; // manifest (.json) or pure output (.gguf), relative

    bool refused() const { return status.rfind("refused", 0) == 0; }
    bool hasExpected() const { return std::filesystem::exists(golden(expected)); }

    // The part of llama-quantize's refusal message QuantBench's error must contain.
    std::string refusalPhrase() const {
        std::string s = status;
        const std::string quoted = "llama-quantize: '";
        if (const size_t q = s.find(quoted); q != std::string::npos) {
            s = s.substr(q + quoted.size());
            return s.substr(0, s.find('\''));
        }
        s = s.substr(s.find(':') + 2);
        return s.substr(0, s.find(" ("));
    }
};

inline nlohmann::json readJson(const std::string &relative) {
    std::ifstream in(golden(relative));
    return nlohmann::json::parse(in);
}

inline std::vector<GoldenRun> goldenRuns() {
    std::vector<GoldenRun> runs;
    const auto status = readJson("status.json");
    for (const auto &[key, value] : status.items()) {
        GoldenRun r;
        r.key = key;
        r.status = value.get<std::string>();
        const bool withImatrix = key.size() > 8 && key.compare(key.size() - 8, 8, ".imatrix") == 0;
        const std::string name = key.substr(key.rfind('/') + 1);
        r.label = name.substr(0, name.find('.'));
        if (key.rfind("pure/", 0) == 0) {
            r.pure = true;
            r.model = "models/tiny.f16.gguf";
            static const std::vector<std::string> withEmbd = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ1_S", "IQ1_M"};
            if (withImatrix)
                r.imatrix = std::find(withEmbd.begin(), withEmbd.end(), r.label) != withEmbd.end()
                                ? "imatrix/tiny.f16.with-embd.imatrix.dat"
                                : "imatrix/tiny.f16.imatrix.dat";
            r.expected = "pure/" + name + ".gguf";
        } else {
            // mixes/<model>.gguf/<LABEL>[.imatrix]
            const std::string modelFile = key.substr(6, key.rfind('/') - 6);
            const std::string model = modelFile.substr(0, modelFile.size() - 5);
            r.model = "models/" + modelFile;
            if (withImatrix) r.imatrix = "imatrix/" + model + ".imatrix.dat";
            r.expected = "mixes/" + model + "/" + name + ".json";
        }
        runs.push_back(std::move(r));
    }
    return runs;
}

// A manifest's metadata value (JSON) against the one written (GGUF), by value.
inline bool jsonEqualsValue(const nlohmann::json &want, const qb::GgufValue &got) {
    if (want.is_string()) return got.string() && *got.string() == want.get<std::string>();
    if (want.is_number_integer()) return got.toInt() == want.get<int64_t>();
    if (want.is_number_float()) return got.toDouble() == want.get<double>();
    if (want.is_boolean()) return got.toInt() == int64_t(want.get<bool>());
    return false;
}

inline std::string upperType(qb::GgmlType type) {
    std::string s = qb::typeName(type);
    for (char &c : s)
        c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

inline std::vector<ExpectedTensor> expectedTensors(const GoldenRun &run) {
    std::vector<ExpectedTensor> out;
    if (run.pure) {
        const auto file = qb::GgufFile::open(golden(run.expected));
        for (const auto &t : file->tensors())
            out.push_back({t.name, upperType(t.type), std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.nDims), {}});
        return out;
    }
    const auto manifest = readJson(run.expected);
    for (const auto &t : manifest["tensors"])
        out.push_back({t["name"].get<std::string>(), t["type"].get<std::string>(),
                       t["shape"].get<std::vector<int64_t>>(), t["sha256"].get<std::string>()});
    return out;
}

// "" when every tensor of `written` has the sha256 its manifest records (mixes/<model>/<LABEL>.json,
// tensors in file order); otherwise the first that differs, named, for QVERIFY2.
inline std::string tensorHashMismatch(const qb::GgufFile &written, const nlohmann::json &manifest) {
    for (size_t i = 0; i < written.tensors().size(); ++i) {
        const auto data = written.tensorData(written.tensors()[i]);
        const std::string got = sha256Hex(data.data(), data.size()).toStdString();
        const std::string want = manifest["tensors"][i]["sha256"].get<std::string>();
        if (got != want) return written.tensors()[i].name + ": sha256 " + got + ", expected " + want;
    }
    return {};
}

// "" when `written` holds what llama-quantize's manifest for the (non-pure) `run` records: the same
// tensors in order (name, type, shape, sha256 of the bytes) and the same metadata values; otherwise
// what differs first, named with the run's key, for QVERIFY2.
inline std::string goldenRunMismatch(const qb::GgufFile &written, const GoldenRun &run) {
    const auto expected = expectedTensors(run);
    if (written.tensors().size() != expected.size())
        return run.key + ": " + std::to_string(written.tensors().size()) + " tensors, expected " +
               std::to_string(expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        const auto &t = written.tensors()[i];
        const std::string where = run.key + ": " + expected[i].name + " (" + expected[i].type + ")";
        if (t.name != expected[i].name || upperType(t.type) != expected[i].type) return where + ": name or type differs";
        if (std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.nDims) != expected[i].shape) return where + ": shape differs";
        const auto data = written.tensorData(t);
        if (sha256Hex(data.data(), data.size()).toStdString() != expected[i].sha256)
            return where + ": tensor bytes differ from llama-quantize's";
    }
    // Held by name: a range-for over readJson(...)["kv"].items() would iterate a destroyed temporary.
    const auto manifest = readJson(run.expected);
    for (const auto &[key, value] : manifest.at("kv").items()) {
        const qb::GgufValue *got = written.find(key);
        if (!got || !jsonEqualsValue(value, *got)) return run.key + ": metadata " + key + " differs";
    }
    return {};
}

} // namespace qbtest
