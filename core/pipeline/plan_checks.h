// Checks and layout of an ExecutionPlan, shared by the single-output pipeline and the
// multi-output job so that both refuse the same plans with the same messages.
//
// Contract: validatePlan throws qb::Error naming the tensor for a plan the kernels cannot run
// (row length, undecodable source, missing importance data); outputLayout gives the GgufWriter
// plan of the output; isCopy says a tensor is copied byte for byte (target = stored type);
// touchPages reads one byte per page so the quantizer finds the tensor in memory.
#pragma once

#include "gguf/gguf_writer.h"
#include "pipeline/quantize_pipeline.h"

#include <cstdint>
#include <span>
#include <vector>

namespace qb {

bool isCopy(const GgufTensorInfo &info, const PlannedTensor &p);
void validatePlan(const GgufModel &model, const ExecutionPlan &plan);
std::vector<GgufTensorPlan> outputLayout(const GgufModel &model, const ExecutionPlan &plan);
uint8_t touchPages(std::span<const uint8_t> bytes);

} // namespace qb
