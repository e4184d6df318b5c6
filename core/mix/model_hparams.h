// Internal: the few model facts the mix rules depend on, read from GGUF metadata the way
// llama.cpp's loader reads them, and llama-quantize's tensor order.
#pragma once

#include "gguf/gguf_model.h"

#include <string>
#include <vector>

namespace qb {

struct ModelHparams {
    std::string architecture; // general.architecture
    int layers = 0;           // <arch>.block_count
    int gqa = 0;              // head_count / head_count_kv of layer 0; 0 when unknown
    int experts = 0;          // <arch>.expert_count
    int attentionLayers = 0;  // layers whose head_count_kv is not 0 (x3 for encoder-decoder)
    bool is70B = false;       // llama.cpp's LLM_TYPE_70B: 80-layer llama (GQA, not 8 experts), deci, qwen2, olmo
    int fileType = 0;         // general.file_type, or llama.cpp's guess | 1024 when absent

    static ModelHparams read(const GgufModel &model);
};

// Tensor indices in the order llama-quantize processes and writes them: tensors outside
// blk.N first, then by layer, by name within a layer (llama.cpp's weight_name_comparer).
std::vector<size_t> llamaQuantizeOrder(const GgufModel &model);

} // namespace qb
