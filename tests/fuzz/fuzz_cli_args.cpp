// libFuzzer target: the command line's value parsers, exactly as quantbench-cli calls them. The
// input is a list of arguments, one per line, the first byte saying which option it is for:
//   l  quantize's LABEL (findQuantLabel: name or numeric id)
//   L  analyze --labels (parseLabelList: "all" or a comma-separated list)
//   y  a type option (--output-tensor-type, --token-embedding-type: parseTypeOption)
//   t  --tensor-type PATTERN=TYPE (parseTensorTypeOption, which checks the pattern)
//   f  a --tensor-type-file's text ('\x01' stands for a newline inside it)
//   k  --override-kv KEY=TYPE:VALUE (parseKvOverride)
// The accepted arguments then do what quantize does with them: the mix of a real model is
// decided (every pattern searched in every tensor name) and its output metadata planned.
// Every argument must be accepted or refused with qb::Error; nothing else may happen.
#include "analysis/label_table.h"
#include "error.h"
#include "gguf/gguf_model.h"
#include "mix/mix_rules.h"
#include "mix/option_values.h"
#include "mix/plan_builder.h"
#include "mix/quant_label.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

const qb::GgufModel &model() {
    static const auto m = qb::GgufModel::open(std::string(QB_GOLDEN_DIR) + "/models/tiny.f16.gguf");
    return *m;
}

// Enough rules to exercise first-match order; more would only slow each execution down.
constexpr size_t kMaxRules = 32;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view input(reinterpret_cast<const char *>(data), size);
    const qb::QuantLabel *label = qb::findQuantLabel("Q4_0");
    qb::QuantizeOptions options;
    qb::PlanOptions plan;
    while (!input.empty()) {
        const size_t end = std::min(input.find('\n'), input.size());
        const std::string_view arg = input.substr(0, end);
        input.remove_prefix(std::min(end + 1, input.size()));
        if (arg.empty()) continue;
        const std::string_view text = arg.substr(1);
        try {
            switch (arg[0]) {
            case 'l':
                if (const qb::QuantLabel *l = qb::findQuantLabel(text)) label = l;
                break;
            case 'L': (void)qb::parseLabelList(text); break;
            case 'y': options.outputTensorType = qb::parseTypeOption(text, "--output-tensor-type"); break;
            case 't': options.tensorTypes.push_back(qb::parseTensorTypeOption(text, "--tensor-type")); break;
            case 'f': {
                std::string file(text);
                std::replace(file.begin(), file.end(), '\x01', '\n');
                for (auto &o : qb::parseTensorTypeList(file, "--tensor-type-file fuzz"))
                    options.tensorTypes.push_back(std::move(o));
                break;
            }
            case 'k': plan.kvOverrides.push_back(qb::parseKvOverride(text)); break;
            default: break;
            }
        } catch (const qb::Error &) {
        }
        if (options.tensorTypes.size() > kMaxRules) options.tensorTypes.resize(kMaxRules);
    }
    try {
        const qb::MixDecision mix = qb::decideMix(model(), *label, options, nullptr);
        (void)qb::buildExecutionPlan(model(), mix, nullptr, plan);
    } catch (const qb::Error &) {
    }
    return 0;
}
